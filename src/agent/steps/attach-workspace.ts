// `attach_workspace`: every workspace layer persisted by jobs upstream of this one in
// its workflow, extracted into `at` oldest first (a later layer's file wins).
import type { AttachWorkspaceStep } from '../../config/compiled.ts';
import { decompress, formatBytes, OutputsClient } from '../outputs-client.ts';
import type { StepContext, StepOutcome } from './types.ts';

export async function attachWorkspace(ctx: StepContext, step: AttachWorkspaceStep): Promise<StepOutcome> {
  const atArg = step.at;
  if (!atArg) {
    ctx.log('circlet: attach_workspace needs at\n');
    return { status: 'failed', exitCode: null };
  }
  const at = ctx.executor.resolvePath(ctx.ws, atArg, ctx.workingDirectory);
  const out = new OutputsClient(ctx.client, ctx.payload.task.id, ctx.signal);
  const layers = await out.workspaceLayers();
  if (layers.length === 0) {
    ctx.log(`No workspace layers to attach: no job upstream of this one persisted to the workspace.\n`);
    await ctx.executor.mkdir(ctx.ws, at);
    return { status: 'success', exitCode: 0 };
  }
  ctx.log(`Attaching the workspace at ${at}: ${layers.length} layer${layers.length === 1 ? '' : 's'}\n`);
  for (const layer of layers) {
    ctx.log(`  from ${layer.job_name} (${formatBytes(layer.size)})\n`);
    try {
      await ctx.executor.importTar(ctx.ws, decompress(await out.downloadWorkspaceLayer(layer.id)), at);
    } catch (err) {
      ctx.log(`Error extracting the layer of ${layer.job_name}: ${err instanceof Error ? err.message : String(err)}\n`);
      return { status: 'failed', exitCode: null };
    }
  }
  ctx.log('Done attaching the workspace\n');
  return { status: 'success', exitCode: 0 };
}
