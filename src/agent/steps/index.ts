// The step registry: step type → module. New step types plug in here.
import { cancelAware } from '../outputs-client.ts';
import { addSshKeysStep } from './add-ssh-keys.ts';
import { attachWorkspaceStep } from './attach-workspace.ts';
import { checkoutStep } from './checkout.ts';
import { persistToWorkspaceStep } from './persist-to-workspace.ts';
import { restoreCacheStep } from './restore-cache.ts';
import { runStep } from './run.ts';
import { saveCacheStep } from './save-cache.ts';
import { setupRemoteDockerStep } from './setup-remote-docker.ts';
import { storeArtifactsStep } from './store-artifacts.ts';
import { storeTestResultsStep } from './store-test-results.ts';
import type { StepModule } from './types.ts';
import { unsupportedStep } from './unsupported.ts';

const NOT_YET = ['install_signing_bundle'];
const OUTPUTS = [saveCacheStep, restoreCacheStep, persistToWorkspaceStep, attachWorkspaceStep, storeArtifactsStep, storeTestResultsStep].map(cancelAware);

export function defaultSteps(): Map<string, StepModule> {
  const modules: StepModule[] = [runStep('run'), runStep('deploy'), checkoutStep, addSshKeysStep, setupRemoteDockerStep, ...OUTPUTS, ...NOT_YET.map((t) => unsupportedStep(t))];
  return new Map(modules.map((m) => [m.type, m]));
}

/** A compiled step (`checkout` or `{run: {...}}`) as type and arguments. */
export function parseStep(step: unknown): { type: string; args: Record<string, unknown> } | undefined {
  if (typeof step === 'string') return { type: step, args: {} };
  if (step && typeof step === 'object' && !Array.isArray(step)) {
    const entries = Object.entries(step);
    if (entries.length !== 1) return undefined;
    const [type, v] = entries[0]!;
    if (typeof v === 'string') return { type, args: type === 'run' || type === 'deploy' ? { command: v } : {} };
    return { type, args: v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {} };
  }
  return undefined;
}
