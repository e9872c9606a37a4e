// `add_ssh_keys`: installs SSH keys into ~/.ssh for later steps. This server stores one
// key per project (its checkout key); asked-for fingerprints it does not hold are named.
import type { AddSshKeysStep } from '../../config/compiled.ts';
import type { StepContext, StepOutcome } from './types.ts';

export async function addSshKeys(ctx: StepContext, step: AddSshKeysStep): Promise<StepOutcome> {
  const { fingerprints } = step;
  const key = ctx.secrets.checkout_key;
  if (!key) {
    ctx.log('circlet: this project has no SSH keys to add\n');
    return { status: 'success', exitCode: 0 };
  }
  const file = '~/.ssh/id_rsa_circlet_checkout';
  await ctx.executor.writeFile(ctx.ws, file, key.endsWith('\n') ? key : key + '\n', 0o600);
  const abs = ctx.executor.resolvePath(ctx.ws, file);
  const config = (await ctx.executor.readFile(ctx.ws, '~/.ssh/config')) ?? '';
  if (!config.includes(abs)) await ctx.executor.writeFile(ctx.ws, '~/.ssh/config', `${config}Host *\n  IdentityFile ${abs}\n`, 0o600);
  ctx.log(`Installed the project's key as ${abs}\n`);
  if (fingerprints.length > 0) ctx.log(`circlet: additional keys by fingerprint (${fingerprints.join(', ')}) are not stored by this server; only the project's key was added\n`);
  return { status: 'success', exitCode: 0 };
}
