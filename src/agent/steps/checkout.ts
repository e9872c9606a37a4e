// `checkout`: real git at the pipeline's revision into `path` (default: the working
// directory), over SSH with the project's checkout key when the URL needs it. The
// script runs in the executor, like any command.
import { str, type StepContext, type StepModule, type StepOutcome } from './types.ts';

export function needsSsh(url: string): boolean {
  return /^ssh:\/\//.test(url) || /^[\w.-]+@[^:/]+:/.test(url);
}

/** A POSIX sh script; its inputs come as environment variables, never interpolated. */
const SCRIPT = `
set -e
echo "Checking out $CIRCLET_CO_URL at \${CIRCLET_CO_REVISION:-\${CIRCLET_CO_BRANCH:-the default branch}} into $CIRCLET_CO_DIR"
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
echo "HEAD is now at $(git log -1 --format='%h %s')"
`;

export const checkoutStep: StepModule = {
  type: 'checkout',
  displayName: () => 'Checkout code',
  async run(ctx: StepContext, args: Record<string, unknown>): Promise<StepOutcome> {
    const { project, pipeline } = ctx.payload;
    const dir = ctx.executor.resolvePath(ctx.ws, str(args.path) ?? '.', ctx.workingDirectory);
    const env: Record<string, string> = {
      CIRCLET_CO_URL: project.vcs_url,
      CIRCLET_CO_DIR: dir,
      CIRCLET_CO_REVISION: pipeline.revision ?? '',
      CIRCLET_CO_BRANCH: pipeline.tag ? '' : (pipeline.branch ?? ''),
      CIRCLET_CO_TAG: pipeline.tag ?? '',
      GIT_TERMINAL_PROMPT: '0',
    };
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
  },
};
