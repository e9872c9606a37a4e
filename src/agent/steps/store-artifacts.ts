// `store_artifacts`: a file, or every file below a directory, uploaded one by one
// (streamed from disk) under `destination` (default: `path` as written, made relative).
import type { Readable } from 'node:stream';
import path from 'node:path';
import type { StoreArtifactsStep } from '../../config/compiled.ts';
import { formatBytes, OutputsClient } from '../outputs-client.ts';
import { storableFiles } from './links.ts';
import type { StepContext, StepOutcome } from './types.ts';

/** An artifact path prefix from a config path or destination: no leading `/`, `./`, `~/`, no `..`. */
export function artifactPrefix(p: string): string {
  const n = path.posix.normalize(p.replace(/\\/g, '/').replace(/^~(?=\/|$)/, ''));
  return n
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .join('/');
}

export async function storeArtifacts(ctx: StepContext, step: StoreArtifactsStep): Promise<StepOutcome> {
  const p = step.path;
  if (!p) {
    ctx.log('circlet: store_artifacts needs a path\n');
    return { status: 'failed', exitCode: null };
  }
  const abs = ctx.executor.resolvePath(ctx.ws, p, ctx.workingDirectory);
  const dest = artifactPrefix(step.destination ?? p);
  // Links are never followed out of the working directory (links.ts).
  const { files, single } = await storableFiles(ctx, abs);
  if (files.length === 0) {
    ctx.log(`No artifact files found at ${abs}\n`);
    return { status: 'success', exitCode: 0 };
  }
  ctx.log(`Uploading ${abs} to ${dest || '(the artifacts root)'}\n`);
  const out = new OutputsClient(ctx.client, ctx.payload.task.id, ctx.signal);
  let failed = 0;
  let total = 0;
  for (const f of files) {
    const target = single ? dest || path.basename(f.path) : [dest, path.relative(abs, f.path).split(path.sep).join('/')].filter(Boolean).join('/');
    const body = await ctx.executor.readStream(ctx.ws, f.path);
    if (!body) {
      ctx.log(`  ${f.path}: vanished before upload\n`);
      failed++;
      continue;
    }
    let first: Readable | undefined = body;
    // A retried upload reads the file again (the first stream is spent).
    const again = async (): Promise<Readable> => {
      const b = first ?? (await ctx.executor.readStream(ctx.ws, f.path));
      first = undefined;
      if (!b) throw new Error('vanished before upload');
      return b;
    };
    try {
      const r = await out.uploadArtifact(target, again);
      total += r.size;
      ctx.log(`  ${target} (${formatBytes(r.size)})\n`);
    } catch (err) {
      body.destroy();
      if (ctx.signal.aborted) throw err;
      ctx.log(`  ${target}: upload failed: ${err instanceof Error ? err.message : String(err)}\n`);
      failed++;
    }
  }
  ctx.log(`Uploaded ${files.length - failed} artifact${files.length - failed === 1 ? '' : 's'} (${formatBytes(total)})\n`);
  if (failed > 0) {
    ctx.log(`${failed} artifact${failed === 1 ? '' : 's'} could not be uploaded\n`);
    return { status: 'failed', exitCode: null };
  }
  return { status: 'success', exitCode: 0 };
}
