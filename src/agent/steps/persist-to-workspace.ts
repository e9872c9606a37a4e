// `persist_to_workspace`: `paths` (globs relative to `root`) as one tar.gz layer of the
// workflow's workspace; downstream jobs attach it with `attach_workspace`.
import type { Readable } from 'node:stream';
import path from 'node:path';
import type { PersistToWorkspaceStep } from '../../config/compiled.ts';
import { compress, formatBytes, OutputsClient } from '../outputs-client.ts';
import type { StepContext, StepOutcome } from './types.ts';

const MAGIC = /[*?[]/;

/** Go's filepath.Match (`*`, `?`, `[...]`, `[^...]`, `\` escapes) plus `**` across directories. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('^') || body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Relative, normalised, inside the root: `./a/../b/` → `b`; undefined when it leaves the root. */
export function cleanRelative(p: string): string | undefined {
  const n = path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (n === '' || n === '.') return '.';
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) return undefined;
  return n;
}

/** Drops entries below another entry (tar would archive them twice). */
export function withoutNested(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  if (sorted.includes('.')) return ['.'];
  const out: string[] = [];
  for (const p of sorted) if (!out.some((o) => p.startsWith(o + '/'))) out.push(p);
  return out;
}

export async function persistToWorkspace(ctx: StepContext, step: PersistToWorkspaceStep): Promise<StepOutcome> {
  const rootArg = step.root;
  const patterns = step.paths;
  if (!rootArg || patterns.length === 0) {
    ctx.log('circlet: persist_to_workspace needs root and paths\n');
    return { status: 'failed', exitCode: null };
  }
  const root = ctx.executor.resolvePath(ctx.ws, rootArg, ctx.workingDirectory);
  const chosen: string[] = [];
  let listing: string[] | undefined;
  for (const pattern of patterns) {
    const clean = cleanRelative(pattern.startsWith(root + '/') ? path.relative(root, pattern) : pattern);
    if (clean === undefined) {
      ctx.log(`circlet: ${pattern} is not inside the workspace root ${root}\n`);
      return { status: 'failed', exitCode: null };
    }
    if (!MAGIC.test(clean)) {
      chosen.push(clean);
      continue;
    }
    listing ??= (await ctx.executor.listFiles(ctx.ws, root)).map((e) => path.relative(root, e.path)).filter((p) => p !== '');
    const re = globRegExp(clean);
    const hits = listing.filter((p) => re.test(p));
    if (hits.length === 0) {
      ctx.log(`The specified paths did not match any files in ${root}: ${pattern}\n`);
      return { status: 'failed', exitCode: null };
    }
    chosen.push(...hits);
  }
  const tar = await ctx.executor.exportTar(ctx.ws, root, withoutNested(chosen));
  if (tar.missing.length > 0) {
    tar.stream.resume();
    ctx.log(`The specified paths did not match any files in ${root}: ${tar.missing.join(', ')}\n`);
    return { status: 'failed', exitCode: null };
  }
  ctx.log(`Creating workspace archive of ${root}:\n${tar.included.map((p) => `  ${p}`).join('\n')}\n`);
  let counter = { bytes: 0 };
  // The archive is made again for a retried upload (the first stream is spent).
  let first: Readable | undefined = tar.stream;
  const body = async () => {
    counter = { bytes: 0 };
    const src = first ?? (await ctx.executor.exportTar(ctx.ws, root, withoutNested(chosen))).stream;
    first = undefined;
    return compress(src, counter);
  };
  await new OutputsClient(ctx.client, ctx.payload.task.id, ctx.signal).uploadWorkspaceLayer(body);
  ctx.log(`Uploaded the workspace layer: ${formatBytes(counter.bytes)}\n`);
  return { status: 'success', exitCode: 0 };
}
