// Dynamic config: a setup workflow continues its pipeline with a generated configuration.
import { checkContinuation } from '../../config/index.ts';
import { nowIso } from '../../domain/clock.ts';
import { hashToken } from '../../domain/tokens.ts';
import { findPipelineByContinuationKey, getPipeline, updatePipeline, useContinuation } from '../../storage/pipelines.ts';
import { workflowsOfPipeline } from '../../storage/workflows.ts';
import { CircletError } from '../../domain/errors.ts';
import type { EngineDeps } from '../deps.ts';
import { planWorkflows } from './plan.ts';
import { TERMINAL_WORKFLOW } from './status.ts';
import { getProject } from '../../storage/projects.ts';
import { compileSafely, configErrors, startWorkflows } from './trigger.ts';
import { inTransaction } from '../../storage/executor.ts';

/**
 * Continues a setup pipeline. The key works once, and only while the pipeline's setup
 * workflow has not finished. A configuration that does not compile errors the pipeline.
 */
export async function continuePipeline(deps: EngineDeps, key: string, configuration: string, parameters: Record<string, unknown>): Promise<void> {
  const db = deps.database.db;
  const found = await findPipelineByContinuationKey(db, hashToken(key));
  if (!found || found.continuation_state !== 'pending') throw new CircletError('CONTINUATION_KEY_INVALID');
  const setupDone = (await workflowsOfPipeline(db, found.id)).filter((w) => w.tag === 'setup').every((w) => TERMINAL_WORKFLOW.has(w.status));
  if (setupDone) throw new CircletError('CONTINUATION_SETUP_FINISHED');

  const values = JSON.parse(found.pipeline_values);
  const project = await getProject(db, found.project_id);
  const result = await compileSafely(configuration, values, parameters, deps, project?.organization_id ?? '');
  const errors = configErrors(result);
  if (result.setup) errors.push({ type: 'config', message: 'A continuation configuration cannot itself be a setup configuration (setup: true)' });
  // Parameters passed with the continuation must not contradict the ones the pipeline was triggered
  // with (`Conflicting pipeline parameters.`); the setup: true case is reported just above.
  const input = { setupSource: found.setup_config, continuationSource: configuration, passed: parameters, trigger: JSON.parse(found.parameters) };
  for (const d of checkContinuation(input)) if (d.severity === 'error' && d.path !== 'setup') errors.push({ type: 'config', message: d.message });

  let queued = 0;
  await inTransaction(db, async (trx) => {
    if (!(await useContinuation(trx, found.id))) throw new CircletError('CONTINUATION_KEY_INVALID');
    const now = nowIso(deps.now());
    if (errors.length > 0 || !result.config) {
      await updatePipeline(trx, found.id, { state: 'errored', errors: JSON.stringify(errors), source_config: configuration, updated_at: now });
      return;
    }
    await updatePipeline(trx, found.id, {
      state: 'created',
      source_config: configuration,
      compiled_config: result.compiledYaml ?? '',
      parameters: JSON.stringify({ ...JSON.parse(found.parameters), ...parameters }),
      updated_at: now,
    });
    const pipeline = (await getPipeline(trx, found.id))!;
    const plans = planWorkflows(result.config, { branch: pipeline.branch ?? undefined, tag: pipeline.tag ?? undefined }, values);
    queued = await startWorkflows(deps, trx, pipeline, plans, { tag: null, startedBy: pipeline.trigger_actor_id });
  });
  if (queued > 0) deps.events.emit('tasks');
  if (errors.length > 0) throw new CircletError('CONTINUATION_CONFIG_INVALID', { problems: errors.map((e) => e.message).join('\n') });
}
