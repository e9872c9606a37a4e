// `checkout`: real git at the pipeline's revision into `path` (default: the working
// directory). By default the code comes from the server's own mirror of the project (git's
// smart HTTP protocol, authenticated with the task id and task credential): the agent first
// fetches it on its own side into a bare repository in the job's internal directory (which a
// docker job sees at the same path), then the job's checkout script fetches from there. So a
// docker job on a local-path repository works, and an agent needs no access to the project's
// git host. An agent started with --checkout-from-origin fetches from the project's URL
// instead, over SSH with the project's checkout key when the URL needs it.
import { execFile } from 'node:child_process';
import type { CheckoutStep } from '../../config/compiled.ts';
import type { StepContext, StepOutcome } from './types.ts';

export function needsSsh(url: string): boolean {
  return /^ssh:\/\//.test(url) || /^[\w.-]+@[^:/]+:/.test(url);
}

/** `GIT_CONFIG_*` variables: configuration for one git command, out of sight of `ps`. */
export function gitConfigEnv(config: Record<string, string>): Record<string, string> {
  const entries = Object.entries(config);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

function git(args: string[], env: Record<string, string>, signal: AbortSignal): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { env: { ...process.env, ...env }, signal, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => resolve({ ok: !err, stderr: String(stderr).trim() }));
  });
}

/**
 * Fetches the pipeline's ref (and its exact revision) from the server into a bare repository
 * at `bare`; returns an error message, or undefined.
 */
async function fetchFromServer(ctx: StepContext, bare: string): Promise<string | undefined> {
  const { project, pipeline } = ctx.payload;
  const url = `${ctx.client.serverUrl}/git/${project.id}.git`;
  // The task's own credential, with its id as the user name (docs/agent.md, "Checkout").
  const auth = Buffer.from(`${ctx.payload.task.id}:${ctx.payload.task.credential}`).toString('base64');
  const env = { GIT_TERMINAL_PROMPT: '0', ...gitConfigEnv({ 'http.extraHeader': `Authorization: Basic ${auth}` }) };
  const init = await git(['init', '--bare', '--quiet', bare], {}, ctx.signal);
  if (!init.ok) return `git init failed: ${init.stderr}`;
  const refspec = pipeline.tag ? `+refs/tags/${pipeline.tag}:refs/tags/${pipeline.tag}` : pipeline.branch ? `+refs/heads/${pipeline.branch}:refs/heads/${pipeline.branch}` : '+refs/heads/*:refs/heads/*';
  const ref = await git(['-C', bare, 'fetch', '--quiet', '--force', '--no-tags', url, refspec], env, ctx.signal);
  if (pipeline.revision) {
    // The exact commit, even when the branch has moved on (or gone) since the trigger.
    const have = await git(['-C', bare, 'cat-file', '-e', `${pipeline.revision}^{commit}`], {}, ctx.signal);
    if (!have.ok) {
      const rev = await git(['-C', bare, 'fetch', '--quiet', '--force', '--no-tags', url, pipeline.revision], env, ctx.signal);
      if (!rev.ok) return `could not fetch ${pipeline.revision} from the server: ${rev.stderr || ref.stderr}`;
      await git(['-C', bare, 'update-ref', 'refs/circlet/revision', pipeline.revision], {}, ctx.signal);
    }
  } else if (!ref.ok) {
    return `could not fetch ${pipeline.tag ? `tag ${pipeline.tag}` : `branch ${pipeline.branch ?? '(default)'}`} from the server: ${ref.stderr}`;
  }
  return undefined;
}

/** A POSIX sh script; its inputs come as environment variables, never interpolated. */
const SCRIPT = `
set -e
echo "Checking out \${CIRCLET_CO_SHOWN_URL:-$CIRCLET_CO_URL} at \${CIRCLET_CO_REVISION:-\${CIRCLET_CO_BRANCH:-the default branch}} into $CIRCLET_CO_DIR"
mkdir -p "$CIRCLET_CO_DIR"
cd "$CIRCLET_CO_DIR"
if [ -e .git ]; then
  git remote set-url origin "$CIRCLET_CO_URL" 2>/dev/null || git remote add origin "$CIRCLET_CO_URL"
else
  git init -q
  git remote add origin "$CIRCLET_CO_URL"
fi
git config --local advice.detachedHead false
if [ -n "$CIRCLET_CO_TAG" ]; then
  git fetch -q --force origin "+refs/tags/$CIRCLET_CO_TAG:refs/tags/$CIRCLET_CO_TAG"
elif [ -n "$CIRCLET_CO_BRANCH" ]; then
  git fetch -q --force origin "+refs/heads/$CIRCLET_CO_BRANCH:refs/remotes/origin/$CIRCLET_CO_BRANCH" || git fetch -q --force origin
else
  git fetch -q --force origin
fi
if [ -n "$CIRCLET_CO_REVISION" ] && ! git cat-file -e "$CIRCLET_CO_REVISION^{commit}" 2>/dev/null; then
  git fetch -q --force origin "$CIRCLET_CO_REVISION" 2>/dev/null || git fetch -q --force origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
fi
TARGET="\${CIRCLET_CO_REVISION:-FETCH_HEAD}"
if [ -n "$CIRCLET_CO_TAG" ]; then
  git checkout -q --force "$TARGET"
elif [ -n "$CIRCLET_CO_BRANCH" ]; then
  git checkout -q --force -B "$CIRCLET_CO_BRANCH" "$TARGET"
else
  git checkout -q --force "$TARGET"
fi
git reset -q --hard "$TARGET"
if [ -n "$CIRCLET_CO_ORIGIN" ]; then git remote set-url origin "$CIRCLET_CO_ORIGIN"; fi
echo "HEAD is now at $(git log -1 --format='%h %s')"
`;

export async function checkout(ctx: StepContext, step: CheckoutStep): Promise<StepOutcome> {
  const { project, pipeline } = ctx.payload;
  const dir = ctx.executor.resolvePath(ctx.ws, step.path ?? '.', ctx.workingDirectory);
  const env: Record<string, string> = {
    CIRCLET_CO_URL: project.vcs_url,
    CIRCLET_CO_DIR: dir,
    CIRCLET_CO_REVISION: pipeline.revision ?? '',
    CIRCLET_CO_BRANCH: pipeline.tag ? '' : (pipeline.branch ?? ''),
    CIRCLET_CO_TAG: pipeline.tag ?? '',
    GIT_TERMINAL_PROMPT: '0',
  };
  if (ctx.checkoutFrom === 'server') {
    const bare = `${ctx.ws.internalDir}/checkout.git`;
    const failed = await fetchFromServer(ctx, bare);
    if (failed) {
      ctx.log(`circlet: ${failed}\n`);
      return { status: 'failed', exitCode: 1 };
    }
    // Makes the copy the job's user's (docker images that run as another user).
    await ctx.executor.mkdir(ctx.ws, bare);
    Object.assign(env, {
      CIRCLET_CO_URL: bare,
      CIRCLET_CO_SHOWN_URL: project.vcs_url,
      // The job's clone names the project's own URL as origin, as on CircleCI.
      CIRCLET_CO_ORIGIN: project.vcs_url,
      // The copy may belong to another user than the job's; the exact revision may be on no ref.
      ...gitConfigEnv({ 'safe.directory': '*', 'uploadpack.allowAnySHA1InWant': 'true' }),
    });
    return ctx.runCommand({ script: SCRIPT, shell: ['/bin/sh'], env, noOutputTimeoutMs: 10 * 60_000 });
  }
  if (needsSsh(project.vcs_url)) {
    const knownHosts = ctx.executor.resolvePath(ctx.ws, '~/.ssh/known_hosts');
    let ssh = `ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${knownHosts}`;
    if (ctx.secrets.checkout_key) {
      const key = `${ctx.ws.internalDir}/checkout-key`;
      await ctx.executor.writeFile(ctx.ws, key, ctx.secrets.checkout_key.endsWith('\n') ? ctx.secrets.checkout_key : ctx.secrets.checkout_key + '\n', 0o600);
      ssh += ` -i ${key} -o IdentitiesOnly=yes`;
      ctx.log('Using the project\'s checkout key\n');
    } else {
      ctx.log('circlet: this project has no checkout key; trying SSH without one\n');
    }
    await ctx.executor.mkdir(ctx.ws, '~/.ssh');
    env.GIT_SSH_COMMAND = ssh;
  }
  return ctx.runCommand({ script: SCRIPT, shell: ['/bin/sh'], env, noOutputTimeoutMs: 10 * 60_000 });
}
