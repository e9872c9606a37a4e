// `add_ssh_keys`: installs SSH keys into ~/.ssh for later steps: the project's additional SSH
// keys (v1.1 `…/ssh-key`) — all of them, or those whose fingerprints (MD5 or SHA-256) the step
// names — each for its hostname, then the project's checkout key for any host. A fingerprint
// the project does not hold is named in the step's output.
import type { AddSshKeysStep } from '../../config/compiled.ts';
import type { StepContext, StepOutcome } from './types.ts';

async function install(ctx: StepContext, file: string, key: string, host: string): Promise<string> {
  await ctx.executor.writeFile(ctx.ws, file, key.endsWith('\n') ? key : key + '\n', 0o600);
  const abs = ctx.executor.resolvePath(ctx.ws, file);
  const config = (await ctx.executor.readFile(ctx.ws, '~/.ssh/config')) ?? '';
  if (!config.includes(`IdentityFile ${abs}\n`)) await ctx.executor.writeFile(ctx.ws, '~/.ssh/config', `${config}Host ${host}\n  IdentityFile ${abs}\n`, 0o600);
  return abs;
}

export async function addSshKeys(ctx: StepContext, step: AddSshKeysStep): Promise<StepOutcome> {
  const wanted = step.fingerprints.map((f) => f.replace(/^MD5:/, ''));
  const keys = ctx.secrets.ssh_keys ?? [];
  const chosen = wanted.length === 0 ? keys : keys.filter((k) => wanted.includes(k.fingerprint_md5) || wanted.includes(k.fingerprint_sha256));
  for (const k of chosen) {
    const abs = await install(ctx, `~/.ssh/id_rsa_${k.fingerprint_md5.replace(/:/g, '')}`, k.private_key, k.hostname);
    ctx.log(`Installed the key ${k.fingerprint_md5} for ${k.hostname} as ${abs}\n`);
  }
  const missing = wanted.filter((f) => !keys.some((k) => k.fingerprint_md5 === f || k.fingerprint_sha256 === f));
  if (missing.length > 0) ctx.log(`circlet: this project holds no SSH key with fingerprint ${missing.join(', ')}\n`);
  const checkout = ctx.secrets.checkout_key;
  if (checkout) ctx.log(`Installed the project's key as ${await install(ctx, '~/.ssh/id_rsa_circlet_checkout', checkout, '*')}\n`);
  if (chosen.length === 0 && !checkout) ctx.log('circlet: this project has no SSH keys to add\n');
  return { status: 'success', exitCode: 0 };
}
