// `restore_cache`: the first of `keys` (or `key`), in order, with a stored cache whose key
// starts with it (newest first) is extracted back to its files' original absolute paths
// (paths below $HOME: below this job's $HOME; see save-cache.ts). A miss is not a failure.
import type { RestoreCacheStep } from '../../config/compiled.ts';
import { CacheKeyError } from '../cache-key.ts';
import { decompress, formatBytes, OutputsClient } from '../outputs-client.ts';
import { cacheRoots, renderKey } from './save-cache.ts';
import type { StepContext, StepOutcome } from './types.ts';

export async function restoreCache(ctx: StepContext, step: RestoreCacheStep): Promise<StepOutcome> {
  const templates = step.keys;
  if (templates.length === 0) {
    ctx.log('circlet: restore_cache needs key or keys\n');
    return { status: 'failed', exitCode: null };
  }
  const keys: string[] = [];
  for (const t of templates) {
    try {
      const k = await renderKey(ctx, t);
      if (k !== '' && !keys.includes(k)) keys.push(k);
    } catch (err) {
      if (!(err instanceof CacheKeyError)) throw err;
      ctx.log(`Skipping key ${t}: ${err.message}\n`);
    }
  }
  const out = new OutputsClient(ctx.client, ctx.payload.task.id, ctx.signal);
  const found = keys.length > 0 ? await out.lookupCache(keys) : undefined;
  if (!found) {
    ctx.log(`No cache is found for key${keys.length === 1 ? '' : 's'}: ${keys.join(', ') || '(none)'}\n`);
    return { status: 'success', exitCode: 0 };
  }
  ctx.log(`Found a cache at key ${found.key} (${formatBytes(found.size)})\nRestoring cache...\n`);
  const started = Date.now();
  const body = await out.downloadCache(found.key);
  if (!body) {
    ctx.log(`The cache ${found.key} disappeared before it could be downloaded; continuing without it\n`);
    return { status: 'success', exitCode: 0 };
  }
  try {
    await ctx.executor.importTar(ctx.ws, decompress(body), await cacheRoots(ctx));
  } catch (err) {
    ctx.log(`Error restoring the cache ${found.key}: ${err instanceof Error ? err.message : String(err)}\n`);
    return { status: 'failed', exitCode: null };
  }
  ctx.log(`Restored the cache ${found.key} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return { status: 'success', exitCode: 0 };
}
