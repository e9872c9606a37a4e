// The step dispatcher: one function per step kind (config/compiled.ts), chosen by an exhaustive
// switch on `step.kind`, so a new kind in the compiled form does not compile until it is handled here.
import { stepType, type Step } from '../../config/compiled.ts';
import { cancelAware } from '../outputs-client.ts';
import { addSshKeys } from './add-ssh-keys.ts';
import { attachWorkspace } from './attach-workspace.ts';
import { checkout } from './checkout.ts';
import { persistToWorkspace } from './persist-to-workspace.ts';
import { restoreCache } from './restore-cache.ts';
import { run, runTitle } from './run.ts';
import { saveCache } from './save-cache.ts';
import { setupRemoteDocker } from './setup-remote-docker.ts';
import { storeArtifacts } from './store-artifacts.ts';
import { storeTestResults } from './store-test-results.ts';
import type { StepContext, StepOutcome } from './types.ts';

function unreachable(step: never): never {
  throw new Error(`unhandled step kind ${JSON.stringify((step as { kind?: unknown }).kind)}`);
}

/** What a step is called in the UI: its `name`, else a title of its kind. */
export function stepTitle(step: Step): string {
  if (step.name !== undefined) return step.name;
  switch (step.kind) {
    case 'run':
    case 'deploy':
      return runTitle(step);
    case 'checkout':
      return 'Checkout code';
    case 'setup_remote_docker':
      return 'Setup a remote Docker engine';
    case 'save_cache':
      return 'Saving cache';
    case 'restore_cache':
      return 'Restoring cache';
    case 'persist_to_workspace':
      return 'Persisting to Workspace';
    case 'attach_workspace':
      return 'Attaching Workspace';
    case 'store_artifacts':
      return 'Uploading artifacts';
    case 'store_test_results':
      return 'Uploading test results';
    case 'add_ssh_keys':
      return 'Install additional SSH keys';
    case 'install_signing_bundle':
    case 'unknown':
      return stepType(step);
    default:
      return unreachable(step);
  }
}

/** Runs one step. Output steps cut short by the job's cancellation end `canceled`, not failed. */
export function runStep(ctx: StepContext, step: Step): Promise<StepOutcome> {
  switch (step.kind) {
    case 'run':
    case 'deploy':
      return run(ctx, step);
    case 'checkout':
      return checkout(ctx, step);
    case 'setup_remote_docker':
      return setupRemoteDocker(ctx);
    case 'add_ssh_keys':
      return addSshKeys(ctx, step);
    case 'save_cache':
      return cancelAware(ctx, step.kind, () => saveCache(ctx, step));
    case 'restore_cache':
      return cancelAware(ctx, step.kind, () => restoreCache(ctx, step));
    case 'persist_to_workspace':
      return cancelAware(ctx, step.kind, () => persistToWorkspace(ctx, step));
    case 'attach_workspace':
      return cancelAware(ctx, step.kind, () => attachWorkspace(ctx, step));
    case 'store_artifacts':
      return cancelAware(ctx, step.kind, () => storeArtifacts(ctx, step));
    case 'store_test_results':
      return cancelAware(ctx, step.kind, () => storeTestResults(ctx, step));
    case 'install_signing_bundle':
      // A failing step that says so (not a silent success).
      ctx.log(`circlet: the ${step.kind} step is not yet supported by this agent.\n`);
      return Promise.resolve({ status: 'failed', exitCode: null });
    case 'unknown':
      ctx.logError(`circlet: unknown step ${JSON.stringify(step.source)}\n`);
      return Promise.resolve({ status: 'failed', exitCode: null });
    default:
      return unreachable(step);
  }
}
