// `save_cache`: a tar.gz of `paths` (`~` expanded, relative to the working directory)
// under a rendered `key`. Caches are immutable: an existing key is kept, not overwritten.
// Files are archived by their absolute paths so restore_cache puts them back there, with
// one twist: every job has a $HOME of its own on the host executor, so paths below $HOME
// are archived as `home/<path below $HOME>` and restored below the restoring job's $HOME
// (CircleCI's home is the same for every job); other paths as `root/<absolute path>`.
// Both go through a directory of two symlinks (home → $HOME, root → /) that tar reads and
// extracts through.
import type { Readable } from 'node:stream';
import crypto from 'node:crypto';
import path from 'node:path';
import { archValue, CacheKeyError, checksumFiles, renderCacheKey } from '../cache-key.ts';
import type { SaveCacheStep } from '../../config/compiled.ts';
import { compress, formatBytes, OutputsClient } from '../outputs-client.ts';
import type { StepContext, StepOutcome } from './types.ts';

async function checksumOf(ctx: StepContext, file: string): Promise<string | undefined> {
  const stream = await ctx.executor.readStream(ctx.ws, ctx.executor.resolvePath(ctx.ws, file, ctx.workingDirectory));
  if (!stream) return undefined;
  const hash = crypto.createHash('sha256');
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('base64');
}

/** Renders a key template in the job's context (checksums relative to the working directory). */
export async function renderKey(ctx: StepContext, template: string): Promise<string> {
  const sums = new Map<string, string | undefined>();
  for (const f of checksumFiles(template)) sums.set(f, await checksumOf(ctx, f));
  const { pipeline, job } = ctx.payload;
  return renderCacheKey(template, {
    branch: pipeline.tag ? '' : pipeline.branch,
    revision: pipeline.revision,
    buildNum: job.number,
    checkoutKey: ctx.secrets.checkout_key,
    environment: ctx.env,
    now: Date.now(),
    arch: archValue(),
    checksum: (f) => sums.get(f),
  });
}

/** The directory tar works in for caches: `home` → the job's $HOME, `root` → `/`. */
export async function cacheRoots(ctx: StepContext): Promise<string> {
  const dir = `${ctx.ws.internalDir}/cache-roots`;
  let output = '';
  const cmd = ctx.executor.exec(ctx.ws, {
    script: 'mkdir -p "$CIRCLET_ROOTS" && ln -sfn "$CIRCLET_HOME" "$CIRCLET_ROOTS/home" && ln -sfn / "$CIRCLET_ROOTS/root"\n',
    shell: ['/bin/sh'],
    cwd: ctx.ws.internalDir,
    env: { ...ctx.ws.baseEnv, CIRCLET_ROOTS: dir, CIRCLET_HOME: ctx.ws.home },
    onOutput: (_s, d) => (output += d.toString()),
  });
  const st = await cmd.exited;
  if (st.code !== 0) throw new Error(`could not prepare the cache directory: ${output.trim()}`);
  return dir;
}

/** An absolute path's name in a cache archive (see above). */
export function cacheArchiveName(home: string, abs: string): string {
  const rel = path.relative(home, abs);
  if (rel === '') return 'home/.';
  if (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)) return `home/${rel.split(path.sep).join('/')}`;
  return `root/${path.relative('/', abs).split(path.sep).join('/')}`;
}

export async function saveCache(ctx: StepContext, step: SaveCacheStep): Promise<StepOutcome> {
  const template = step.key;
  const paths = step.paths;
  if (!template) {
    ctx.log('circlet: save_cache needs a key\n');
    return { status: 'failed', exitCode: null };
  }
  if (paths.length === 0) {
    ctx.log('circlet: save_cache needs paths\n');
    return { status: 'failed', exitCode: null };
  }
  let key: string;
  try {
    key = await renderKey(ctx, template);
  } catch (err) {
    if (!(err instanceof CacheKeyError)) throw err;
    ctx.log(`error computing cache key: ${err.message}\n`);
    return { status: 'failed', exitCode: null };
  }
  if (key.length > 900) {
    ctx.log(`circlet: the cache key is too long (${key.length} characters; at most 900)\n`);
    return { status: 'failed', exitCode: null };
  }
  const out = new OutputsClient(ctx.client, ctx.payload.task.id, ctx.signal);
  if ((await out.lookupCache([key]))?.key === key) {
    ctx.log(`Skipping cache generation, cache already exists for key: ${key}\n`);
    return { status: 'success', exitCode: 0 };
  }
  const abs = paths.map((p) => ctx.executor.resolvePath(ctx.ws, p, ctx.workingDirectory));
  ctx.log(`Creating cache archive for key ${key}\n${abs.map((p) => `  ${p}`).join('\n')}\n`);
  const names = new Map(abs.map((p) => [cacheArchiveName(ctx.ws.home, p), p]));
  const tar = await ctx.executor.exportTar(ctx.ws, await cacheRoots(ctx), [...names.keys()]);
  for (const m of tar.missing) ctx.log(`Warning: could not find ${names.get(m)}: no such file or directory; skipping\n`);
  if (tar.included.length === 0) {
    tar.stream.resume();
    ctx.log('No files found to cache; nothing was saved\n');
    return { status: 'success', exitCode: 0 };
  }
  let counter = { bytes: 0 };
  const started = Date.now();
  // The archive is made again for a retried upload (the first stream is spent).
  let first: Readable | undefined = tar.stream;
  const body = async () => {
    counter = { bytes: 0 };
    const src = first ?? (await ctx.executor.exportTar(ctx.ws, await cacheRoots(ctx), [...names.keys()])).stream;
    first = undefined;
    return compress(src, counter);
  };
  const result = await out.saveCache(key, body);
  if (result === 'exists') ctx.log(`Skipping cache generation, cache already exists for key: ${key}\n`);
  else ctx.log(`Stored cache to ${key}\n  ${formatBytes(counter.bytes)} uploaded in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return { status: 'success', exitCode: 0 };
}
