// `setup_remote_docker`: in docker jobs (docker executor), docker commands reach the agent's
// engine through a per-job proxy socket (docs/docker.md). There is no remote Docker engine on
// the host executor; jobs use the machine's own engine, if it has one.
import type { DockerExecutor } from '../../executor/docker.ts';
import type { Executor } from '../../executor/types.ts';
import type { StepContext, StepOutcome } from './types.ts';

/** By its method, not instanceof: a host-only agent never loads the Docker client (dockerode). */
const isDocker = (executor: Executor): executor is DockerExecutor => typeof (executor as Partial<DockerExecutor>).setupRemoteDocker === 'function';

export async function setupRemoteDocker(ctx: StepContext): Promise<StepOutcome> {
  if (isDocker(ctx.executor)) {
    const notes = await ctx.executor.setupRemoteDocker(ctx.ws);
    if (notes) {
      ctx.log(notes.join('\n') + '\n');
      return { status: 'success', exitCode: 0 };
    }
  }
  ctx.log(
    'circlet: setup_remote_docker does nothing on the host executor: there is no remote Docker engine.\n' +
      'Docker commands in this job talk to this machine\'s own Docker engine, if it has one (DOCKER_HOST is passed through).\n',
  );
  return { status: 'success', exitCode: 0 };
}
