// An OrbSource backed by CircleCI's public orb registry (GraphQL over HTTPS), with an on-disk cache.
//
// Wire format: the query real clients send (CircleCI's CLI, `orb source`), POSTed as JSON
// `{query, variables: {orbVersionRef: "ns/name@version"}}` to `<baseUrl>/graphql-unstable`. The
// registry resolves partial versions (`1`, `1.2`), `volatile` and `dev:<label>` itself and answers
// `{data: {orbVersion: {id, version, orb: {id, name}, source}}}`, or `orbVersion: null` when the orb
// or version does not exist. GraphQL `errors` and non-200 answers are failures (thrown).
//
// Cache layout (under `cacheDir`):
//   <ns>/<name>@<x.y.z>.yml          exact versions, immutable once published: kept forever. The
//                                    layout is that of an orb directory, so the cache can be read
//                                    by the directory source too.
//   .refs/<ns>/<name>@<ref>.json      partial / volatile / dev refs: {resolvedVersion, fetchedAt,
//                                    source}, reused while younger than `ttlMs`. A stale entry is
//                                    still used when the registry cannot be reached.
// Misses (null) are not cached. Cache write failures are ignored: the cache is an optimisation.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OrbRef, OrbSource } from '../types.ts';

export const DEFAULT_REGISTRY_BASE_URL = 'https://circleci.com';
export const REGISTRY_GRAPHQL_PATH = 'graphql-unstable';

/** The query CircleCI's own CLI sends to fetch an orb version's packed source. */
export const ORB_VERSION_QUERY = `query($orbVersionRef: String!) {
  orbVersion(orbVersionRef: $orbVersionRef) {
    id
    version
    orb { id name }
    source
  }
}`;

export interface RegistryOrbSourceOptions {
  /** Registry host; the GraphQL endpoint is `<baseUrl>/graphql-unstable`. Default `https://circleci.com`. */
  baseUrl?: string;
  /** Per-request timeout in milliseconds. Default 30 s. */
  timeoutMs?: number;
  /** Cache directory; no on-disk cache when absent. */
  cacheDir?: string;
  /** How long partial / volatile / dev refs are reused from the cache, in ms. Default 1 hour. */
  ttlMs?: number;
  /** API token for private orbs, sent as `Authorization` like CircleCI's CLI does. Public orbs need none. */
  token?: string;
  /** `fetch` implementation (tests); defaults to the global one. */
  fetch?: typeof fetch;
  /** Clock in ms (tests); defaults to `Date.now`. */
  now?: () => number;
}

interface RefCacheEntry {
  resolvedVersion: string;
  fetchedAt: number;
  source: string;
}

const EXACT = /^\d+\.\d+\.\d+$/;
const PARTIAL = /^\d+(?:\.\d+)?$/;
const DEV = /^dev:[A-Za-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Kinds of version a reference can carry; `invalid` never reaches the network. */
export function versionKind(version: string): 'exact' | 'partial' | 'volatile' | 'dev' | 'invalid' {
  if (EXACT.test(version)) return 'exact';
  if (PARTIAL.test(version)) return 'partial';
  if (version === 'volatile') return 'volatile';
  if (DEV.test(version)) return 'dev';
  return 'invalid';
}

export class RegistryOrbSource implements OrbSource {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly cacheDir: string | undefined;
  private readonly ttlMs: number;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(options: RegistryOrbSourceOptions = {}) {
    const base = (options.baseUrl ?? DEFAULT_REGISTRY_BASE_URL).replace(/\/+$/, '');
    this.endpoint = `${base}/${REGISTRY_GRAPHQL_PATH}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.cacheDir = options.cacheDir;
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.token = options.token;
    // Looked up on first use: touching globalThis.fetch loads undici (~20 MB) at start-up.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
  }

  async resolve(ref: OrbRef): Promise<{ source: string; resolvedVersion: string } | null> {
    const kind = versionKind(ref.version);
    // A malformed reference cannot exist in the registry; it is a miss, not a transport failure.
    if (kind === 'invalid' || !SEGMENT.test(ref.namespace) || !SEGMENT.test(ref.name)) return null;

    let stale: RefCacheEntry | null = null;
    if (kind === 'exact') {
      const source = await this.readCache(this.exactPath(ref.namespace, ref.name, ref.version));
      if (source !== null) return { source, resolvedVersion: ref.version };
    } else {
      const entry = await this.readRefEntry(ref);
      if (entry !== null) {
        if (this.now() - entry.fetchedAt < this.ttlMs) return { source: entry.source, resolvedVersion: entry.resolvedVersion };
        stale = entry;
      }
    }

    let fetched: { source: string; resolvedVersion: string } | null;
    try {
      fetched = await this.fetchOrbVersion(ref);
    } catch (err) {
      if (stale !== null) return { source: stale.source, resolvedVersion: stale.resolvedVersion };
      throw err;
    }
    if (fetched === null) return null;

    if (kind !== 'exact') {
      const entry: RefCacheEntry = { ...fetched, fetchedAt: this.now() };
      await this.writeCache(this.refPath(ref), JSON.stringify(entry));
    }
    if (EXACT.test(fetched.resolvedVersion)) {
      await this.writeCache(this.exactPath(ref.namespace, ref.name, fetched.resolvedVersion), fetched.source);
    }
    return fetched;
  }

  /** One registry round trip, no cache. Null when the registry has no such orb version. */
  async fetchOrbVersion(ref: OrbRef): Promise<{ source: string; resolvedVersion: string } | null> {
    const refText = `${ref.namespace}/${ref.name}@${ref.version}`;
    const where = `orb registry ${this.endpoint}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json; charset=utf-8',
      'user-agent': 'circlet',
    };
    if (this.token) headers.authorization = this.token;

    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: ORB_VERSION_QUERY, variables: { orbVersionRef: refText } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(`cannot fetch orb ${refText}: ${where} ${describeFetchError(err, this.timeoutMs)}`, { cause: err });
    }

    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new Error(`cannot fetch orb ${refText}: ${where} ${describeFetchError(err, this.timeoutMs)}`, { cause: err });
    }
    if (response.status !== 200) {
      throw new Error(`cannot fetch orb ${refText}: ${where} answered HTTP ${response.status}${snippet(text)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`cannot fetch orb ${refText}: ${where} answered with invalid JSON${snippet(text)}`);
    }
    const errors = (body as { errors?: unknown })?.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const messages = errors.map((e) => String((e as { message?: unknown })?.message ?? JSON.stringify(e))).join('; ');
      throw new Error(`cannot fetch orb ${refText}: ${where} returned an error: ${messages}`);
    }
    const data = (body as { data?: { orbVersion?: unknown } })?.data;
    if (data === undefined || data === null || typeof data !== 'object') {
      throw new Error(`cannot fetch orb ${refText}: ${where} answered without data`);
    }
    const orbVersion = data.orbVersion as { id?: unknown; version?: unknown; source?: unknown } | null | undefined;
    if (orbVersion === null || orbVersion === undefined || orbVersion.id === '' ) return null;
    if (typeof orbVersion.source !== 'string') {
      throw new Error(`cannot fetch orb ${refText}: ${where} answered without the orb's source`);
    }
    const resolvedVersion = typeof orbVersion.version === 'string' && orbVersion.version !== '' ? orbVersion.version : ref.version;
    return { source: orbVersion.source, resolvedVersion };
  }

  private exactPath(namespace: string, name: string, version: string): string | null {
    if (this.cacheDir === undefined) return null;
    return join(this.cacheDir, namespace, `${name}@${version}.yml`);
  }

  private refPath(ref: OrbRef): string | null {
    if (this.cacheDir === undefined) return null;
    return join(this.cacheDir, '.refs', ref.namespace, `${ref.name}@${encodeURIComponent(ref.version)}.json`);
  }

  private async readRefEntry(ref: OrbRef): Promise<RefCacheEntry | null> {
    const text = await this.readCache(this.refPath(ref));
    if (text === null) return null;
    try {
      const e = JSON.parse(text) as Partial<RefCacheEntry>;
      if (typeof e.resolvedVersion === 'string' && typeof e.fetchedAt === 'number' && typeof e.source === 'string') {
        return { resolvedVersion: e.resolvedVersion, fetchedAt: e.fetchedAt, source: e.source };
      }
    } catch {
      // A corrupt entry is a cache miss.
    }
    return null;
  }

  private async readCache(path: string | null): Promise<string | null> {
    if (path === null) return null;
    try {
      return await readFile(path, 'utf8');
    } catch {
      return null;
    }
  }

  private async writeCache(path: string | null, content: string): Promise<void> {
    if (path === null) return;
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(tmp, content, 'utf8');
      await rename(tmp, path);
    } catch {
      // Best effort: a read-only or full disk must not fail the compile.
    }
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `did not answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `could not be reached (${cause ? `${e?.message ?? 'fetch failed'}: ${cause}` : (e?.message ?? String(err))})`;
}

function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (t === '') return '';
  return `: ${t.length > 200 ? `${t.slice(0, 200)}…` : t}`;
}
