// The dashboard's built files (dist/web, made by `npm install` / `npm run build`), read once
// into memory with a gzip copy each, so serving them costs no disk read or compression.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import mime from 'mime-types';

export interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  /** Hashed file names (under assets/) never change: they are cached for a year. */
  immutable: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the built dashboard is: beside the compiled server (dist/web) or, from src/, in dist/web. */
export function defaultWebDir(): string {
  const candidates = [path.resolve(here, '../../../web'), path.resolve(here, '../../../../dist/web')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? candidates[0]!;
}

const loaded = new Map<string, { mtimeMs: number; assets: Map<string, Asset> }>();

/**
 * Every file under `dir` keyed by its URL path (`/assets/app-1a2b.js`); empty when not built.
 * Read once per build (index.html's mtime), however many apps a process builds.
 */
export function loadAssets(dir: string): Map<string, Asset> {
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) return new Map();
  const mtimeMs = fs.statSync(index).mtimeMs;
  const cached = loaded.get(dir);
  if (cached && cached.mtimeMs === mtimeMs) return cached.assets;
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else {
        const rel = '/' + path.relative(dir, p).split(path.sep).join('/');
        const body = fs.readFileSync(p);
        const type = mime.contentType(path.extname(p)) || 'application/octet-stream';
        const compressible = /text|javascript|json|svg|css/.test(type) && body.length > 512;
        out.set(rel, { body, gzip: compressible ? zlib.gzipSync(body, { level: 9 }) : undefined, type, immutable: rel.startsWith('/assets/') });
      }
    }
  };
  walk(dir);
  loaded.set(dir, { mtimeMs, assets: out });
  return out;
}
