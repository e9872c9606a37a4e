// Combinators over OrbSource: try several in order, and memoize one in memory.
import type { OrbRef, OrbSource } from '../types.ts';

type Resolved = { source: string; resolvedVersion: string } | null;

/**
 * Tries each source in order and returns the first hit. A source that throws does not stop the
 * search: a later hit wins; when no source has the orb, the first failure is rethrown (so a
 * transport error is not reported as a missing orb).
 */
export class ChainOrbSource implements OrbSource {
  private readonly sources: readonly OrbSource[];

  constructor(sources: readonly OrbSource[]) {
    this.sources = sources;
  }

  async resolve(ref: OrbRef): Promise<Resolved> {
    let failure: unknown;
    let failed = false;
    for (const source of this.sources) {
      try {
        const hit = await source.resolve(ref);
        if (hit !== null) return hit;
      } catch (err) {
        if (!failed) {
          failure = err;
          failed = true;
        }
      }
    }
    if (failed) throw failure;
    return null;
  }
}

/** Convenience: a chain, or the single source itself when there is only one. */
export function chainOrbSources(...sources: (OrbSource | null | undefined)[]): OrbSource {
  const present = sources.filter((s): s is OrbSource => s !== null && s !== undefined);
  return present.length === 1 ? present[0] : new ChainOrbSource(present);
}

/**
 * Remembers every answer (hits and misses) of `inner` for the life of the object; concurrent
 * requests for the same ref share one lookup. Failures are not remembered.
 */
export class MemoryOrbSource implements OrbSource {
  private readonly inner: OrbSource;
  private readonly memo = new Map<string, Promise<Resolved>>();

  constructor(inner: OrbSource) {
    this.inner = inner;
  }

  resolve(ref: OrbRef): Promise<Resolved> {
    const key = `${ref.namespace}/${ref.name}@${ref.version}`;
    let p = this.memo.get(key);
    if (p === undefined) {
      p = this.inner.resolve(ref);
      this.memo.set(key, p);
      p.catch(() => this.memo.delete(key));
    }
    return p;
  }

  /** Resolves every ref once so later compiles never wait on the inner source. */
  async preload(refs: Iterable<OrbRef>): Promise<void> {
    await Promise.all([...refs].map((r) => this.resolve(r)));
  }
}
