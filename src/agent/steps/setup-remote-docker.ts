// `setup_remote_docker`: there is no remote Docker engine on the host executor; jobs use
// the machine's own engine, if it has one.
import type { StepContext, StepModule, StepOutcome } from './types.ts';

export const setupRemoteDockerStep: StepModule = {
  type: 'setup_remote_docker',
  displayName: () => 'Setup a remote Docker engine',
  async run(ctx: StepContext): Promise<StepOutcome> {
    ctx.log(
      'circlet: setup_remote_docker does nothing on the host executor: there is no remote Docker engine.\n' +
        'Docker commands in this job talk to this machine\'s own Docker engine, if it has one (DOCKER_HOST is passed through).\n',
    );
    return { status: 'success', exitCode: 0 };
  },
};
