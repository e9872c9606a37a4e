// Steps this agent does not run yet: a failing step that says so (not a silent success).
import type { StepContext, StepModule, StepOutcome } from './types.ts';

export function unsupportedStep(type: string, why = 'not yet supported by this agent'): StepModule {
  return {
    type,
    displayName: (args) => (typeof args.name === 'string' ? args.name : type),
    async run(ctx: StepContext): Promise<StepOutcome> {
      ctx.log(`circlet: the ${type} step is ${why}.\n`);
      return { status: 'failed', exitCode: null };
    },
  };
}
