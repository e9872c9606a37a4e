// An OrbSource over a local directory of packed orbs: `<dir>/<namespace>/<name>@<version>.yml`.
// Resolves exact versions, partial `1` / `1.2` (highest match), `volatile` (highest) and
// `dev:<label>` (file `<name>@dev-<label>.yml`). This file does I/O; the compiler core does not.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { OrbRef, OrbSource } from '../types.ts';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;
const SAFE = /^[A-Za-z0-9_-]+$/;

export class DirectoryOrbSource implements OrbSource {
  constructor(private readonly dir: string) {}

  async resolve(ref: OrbRef): Promise<{ source: string; resolvedVersion: string } | null> {
    if (!SAFE.test(ref.namespace) || !SAFE.test(ref.name)) return null;
    const nsDir = path.join(this.dir, ref.namespace);
    const version = this.pickVersion(ref, await this.listVersions(nsDir, ref.name));
    if (version === null) return null;
    try {
      const source = await readFile(path.join(nsDir, `${ref.name}@${version}.yml`), 'utf8');
      return { source, resolvedVersion: version.startsWith('dev-') ? `dev:${version.slice(4)}` : version };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private async listVersions(nsDir: string, name: string): Promise<string[]> {
    let files: string[];
    try {
      files = await readdir(nsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const prefix = `${name}@`;
    return files.filter((f) => f.startsWith(prefix) && f.endsWith('.yml')).map((f) => f.slice(prefix.length, -'.yml'.length));
  }

  private pickVersion(ref: OrbRef, versions: string[]): string | null {
    const v = ref.version;
    if (v.startsWith('dev:')) {
      const file = `dev-${v.slice(4)}`;
      return versions.includes(file) ? file : null;
    }
    const released = versions
      .map((s) => ({ s, m: SEMVER.exec(s) }))
      .filter((x): x is { s: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ s: x.s, n: [Number(x.m[1]), Number(x.m[2]), Number(x.m[3])] }))
      .sort((a, b) => a.n[0] - b.n[0] || a.n[1] - b.n[1] || a.n[2] - b.n[2]);
    if (v === 'volatile') return released.at(-1)?.s ?? null;
    if (SEMVER.test(v)) return released.some((r) => r.s === v) ? v : null;
    const partial = /^(\d+)(?:\.(\d+))?$/.exec(v);
    if (!partial) return null;
    const major = Number(partial[1]);
    const minor = partial[2] === undefined ? null : Number(partial[2]);
    const match = released.filter((r) => r.n[0] === major && (minor === null || r.n[1] === minor));
    return match.at(-1)?.s ?? null;
  }
}
