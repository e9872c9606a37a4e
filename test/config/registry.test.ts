// RegistryOrbSource against a local HTTP server that answers the registry's GraphQL query shape.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryOrbSource, versionKind } from '../../src/config/orbs/registry.ts';
import { ChainOrbSource, MemoryOrbSource } from '../../src/config/orbs/chain.ts';
import type { OrbRef, OrbSource } from '../../src/config/types.ts';

/** Published versions the fake registry knows, per `ns/name`. */
const published: Record<string, string[]> = {
  'circleci/node': ['5.0.0', '5.1.0', '5.1.2', '6.0.0'],
  'acme/tools': ['1.0.0', 'dev:main'],
};

const sourceOf = (orb: string, version: string) => `version: 2.1\ndescription: ${orb} at ${version}\n`;

/** The registry's own ref resolution: exact, partial (highest matching), volatile (highest), dev. */
function resolveRef(ref: string): { orb: string; version: string } | null {
  const m = /^([^/]+\/[^@]+)@(.+)$/.exec(ref);
  if (!m) return null;
  const [, orb, asked] = m;
  const versions = published[orb];
  if (!versions) return null;
  if (versions.includes(asked)) return { orb, version: asked };
  const semver = versions.filter((v) => /^\d/.test(v));
  const cmp = (a: string, b: string) => {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  };
  const matching = asked === 'volatile' ? semver : semver.filter((v) => v.startsWith(`${asked}.`));
  if (matching.length === 0) return null;
  return { orb, version: matching.sort(cmp)[matching.length - 1] };
}

interface Seen {
  query: string;
  variables: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

let server: Server;
let baseUrl: string;
/** A loopback URL where nothing listens (a port that was just freed). */
let deadUrl: string;
let seen: Seen[] = [];
/** Overrides the next answers: a status and raw body, or a delay. */
let mode: 'normal' | 'http500' | 'graphql-error' | 'garbage' | 'slow' = 'normal';

function handle(req: IncomingMessage, res: ServerResponse): void {
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
  req.on('end', () => {
    const body = JSON.parse(raw) as { query: string; variables: Record<string, unknown> };
    seen.push({ query: body.query, variables: body.variables, headers: req.headers });
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.method !== 'POST' || req.url !== '/graphql-unstable') return send(404, '{"message":"not found"}');
    if (mode === 'http500') return send(500, '{"message":"boom"}');
    if (mode === 'garbage') return send(200, '<html>proxy error</html>');
    if (mode === 'graphql-error') return send(200, JSON.stringify({ data: null, errors: [{ message: 'Invalid orb reference' }] }));
    if (mode === 'slow') {
      setTimeout(() => send(200, JSON.stringify({ data: { orbVersion: null } })), 2_000);
      return;
    }
    if (!/orbVersion\(orbVersionRef: \$orbVersionRef\)/.test(body.query)) {
      return send(200, JSON.stringify({ errors: [{ message: 'unexpected query' }] }));
    }
    const hit = resolveRef(String(body.variables.orbVersionRef));
    if (hit === null) return send(200, JSON.stringify({ data: { orbVersion: null } }));
    send(
      200,
      JSON.stringify({
        data: {
          orbVersion: {
            id: `id-${hit.orb}-${hit.version}`,
            version: hit.version,
            orb: { id: `orb-${hit.orb}`, name: hit.orb },
            source: sourceOf(hit.orb, hit.version),
          },
        },
      }),
    );
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

let cacheDir: string;
beforeEach(() => {
  seen = [];
  mode = 'normal';
  cacheDir = mkdtempSync(join(tmpdir(), 'circlet-registry-'));
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

const ref = (namespace: string, name: string, version: string): OrbRef => ({ namespace, name, version });

describe('RegistryOrbSource', () => {
  it('sends the CLI query shape with the full orb version ref', async () => {
    const src = new RegistryOrbSource({ baseUrl, cacheDir });
    const got = await src.resolve(ref('circleci', 'node', '5.1.2'));
    expect(got).toEqual({ source: sourceOf('circleci/node', '5.1.2'), resolvedVersion: '5.1.2' });
    expect(seen).toHaveLength(1);
    expect(seen[0].variables).toEqual({ orbVersionRef: 'circleci/node@5.1.2' });
    expect(seen[0].query).toMatch(/query\s*\(\$orbVersionRef: String!\)/);
    expect(seen[0].query).toMatch(/orbVersion\(orbVersionRef: \$orbVersionRef\)\s*\{[\s\S]*\bversion\b[\s\S]*\bsource\b/);
    expect(seen[0].headers['content-type']).toMatch(/^application\/json/);
  });

  it('sends a token only when configured', async () => {
    await new RegistryOrbSource({ baseUrl, cacheDir, token: 'secret-token' }).resolve(ref('circleci', 'node', '5.1.2'));
    await new RegistryOrbSource({ baseUrl }).resolve(ref('circleci', 'node', '5.1.2'));
    expect(seen.map((s) => s.headers.authorization)).toEqual(['secret-token', undefined]);
  });

  it('lets the registry resolve partial and volatile versions', async () => {
    const src = new RegistryOrbSource({ baseUrl, cacheDir });
    expect((await src.resolve(ref('circleci', 'node', '5')))?.resolvedVersion).toBe('5.1.2');
    expect((await src.resolve(ref('circleci', 'node', '5.0')))?.resolvedVersion).toBe('5.0.0');
    expect((await src.resolve(ref('circleci', 'node', 'volatile')))?.resolvedVersion).toBe('6.0.0');
    expect((await src.resolve(ref('acme', 'tools', 'dev:main')))?.resolvedVersion).toBe('dev:main');
    expect(seen.map((s) => s.variables.orbVersionRef)).toEqual([
      'circleci/node@5',
      'circleci/node@5.0',
      'circleci/node@volatile',
      'acme/tools@dev:main',
    ]);
  });

  it('returns null for an orb or version the registry does not have', async () => {
    const src = new RegistryOrbSource({ baseUrl, cacheDir });
    expect(await src.resolve(ref('circleci', 'nope', '1.0.0'))).toBeNull();
    expect(await src.resolve(ref('circleci', 'node', '9.9.9'))).toBeNull();
    expect(await src.resolve(ref('circleci', 'node', '7'))).toBeNull();
    expect(seen).toHaveLength(3);
    // Misses are not cached.
    expect(await src.resolve(ref('circleci', 'nope', '1.0.0'))).toBeNull();
    expect(seen).toHaveLength(4);
  });

  it('treats an unresolvable version string as a miss without asking the registry', async () => {
    const src = new RegistryOrbSource({ baseUrl, cacheDir });
    expect(await src.resolve(ref('circleci', 'node', '<< pipeline.parameters.v >>'))).toBeNull();
    expect(await src.resolve(ref('../etc', 'node', '1.0.0'))).toBeNull();
    expect(seen).toHaveLength(0);
    expect(versionKind('1.2.3')).toBe('exact');
    expect(versionKind('1.2')).toBe('partial');
    expect(versionKind('volatile')).toBe('volatile');
    expect(versionKind('dev:abc123')).toBe('dev');
    expect(versionKind('latest')).toBe('invalid');
  });

  it('serves exact versions from the cache forever, without the network', async () => {
    await new RegistryOrbSource({ baseUrl, cacheDir }).resolve(ref('circleci', 'node', '5.1.0'));
    expect(seen).toHaveLength(1);
    expect(readFileSync(join(cacheDir, 'circleci', 'node@5.1.0.yml'), 'utf8')).toBe(sourceOf('circleci/node', '5.1.0'));

    // A fresh instance pointed at an unreachable host, with a clock a year later.
    const offline = new RegistryOrbSource({
      baseUrl: deadUrl,
      cacheDir,
      now: () => Date.now() + 365 * 24 * 3600 * 1000,
    });
    expect(await offline.resolve(ref('circleci', 'node', '5.1.0'))).toEqual({
      source: sourceOf('circleci/node', '5.1.0'),
      resolvedVersion: '5.1.0',
    });
    expect(seen).toHaveLength(1);
  });

  it('caches partial refs for the TTL, then asks again', async () => {
    let now = 1_000_000;
    const src = new RegistryOrbSource({ baseUrl, cacheDir, ttlMs: 60_000, now: () => now });
    expect((await src.resolve(ref('circleci', 'node', '5')))?.resolvedVersion).toBe('5.1.2');
    // The resolved exact version is cached too.
    expect(existsSync(join(cacheDir, 'circleci', 'node@5.1.2.yml'))).toBe(true);
    now += 59_000;
    expect((await src.resolve(ref('circleci', 'node', '5')))?.resolvedVersion).toBe('5.1.2');
    expect(seen).toHaveLength(1);

    published['circleci/node'].push('5.2.0');
    try {
      now += 2_000;
      expect((await src.resolve(ref('circleci', 'node', '5')))?.resolvedVersion).toBe('5.2.0');
      expect(seen).toHaveLength(2);
    } finally {
      published['circleci/node'].pop();
    }
  });

  it('falls back to a stale partial entry when the registry cannot be reached', async () => {
    let now = 1_000_000;
    await new RegistryOrbSource({ baseUrl, cacheDir, ttlMs: 1_000, now: () => now }).resolve(ref('circleci', 'node', 'volatile'));
    now += 10_000;
    const offline = new RegistryOrbSource({ baseUrl: deadUrl, cacheDir, ttlMs: 1_000, now: () => now });
    expect((await offline.resolve(ref('circleci', 'node', 'volatile')))?.resolvedVersion).toBe('6.0.0');
  });

  it('throws a clear error when the registry cannot be reached', async () => {
    const src = new RegistryOrbSource({ baseUrl: deadUrl, cacheDir, timeoutMs: 5_000 });
    await expect(src.resolve(ref('circleci', 'node', '5.1.2'))).rejects.toThrow(
      /^cannot fetch orb circleci\/node@5\.1\.2: orb registry http:\/\/127\.0\.0\.1:\d+\/graphql-unstable could not be reached \(.*ECONNREFUSED/,
    );
  });

  it('throws on HTTP errors, GraphQL errors and non-JSON answers', async () => {
    const src = new RegistryOrbSource({ baseUrl, cacheDir });
    mode = 'http500';
    await expect(src.resolve(ref('circleci', 'node', '5.1.2'))).rejects.toThrow(
      `cannot fetch orb circleci/node@5.1.2: orb registry ${baseUrl}/graphql-unstable answered HTTP 500: {"message":"boom"}`,
    );
    mode = 'graphql-error';
    await expect(src.resolve(ref('circleci', 'node', '5.1.2'))).rejects.toThrow(
      `cannot fetch orb circleci/node@5.1.2: orb registry ${baseUrl}/graphql-unstable returned an error: Invalid orb reference`,
    );
    mode = 'garbage';
    await expect(src.resolve(ref('circleci', 'node', '5.1.2'))).rejects.toThrow(/answered with invalid JSON: <html>proxy error<\/html>$/);
  });

  it('times out', async () => {
    mode = 'slow';
    const src = new RegistryOrbSource({ baseUrl, cacheDir, timeoutMs: 200 });
    await expect(src.resolve(ref('circleci', 'node', '5.1.2'))).rejects.toThrow(
      `cannot fetch orb circleci/node@5.1.2: orb registry ${baseUrl}/graphql-unstable did not answer within 200 ms`,
    );
  });

  it('works without a cache directory', async () => {
    const src = new RegistryOrbSource({ baseUrl });
    expect((await src.resolve(ref('circleci', 'node', '5')))?.resolvedVersion).toBe('5.1.2');
    expect((await src.resolve(ref('circleci', 'node', '5')))?.resolvedVersion).toBe('5.1.2');
    expect(seen).toHaveLength(2);
  });
});

describe('ChainOrbSource / MemoryOrbSource', () => {
  const fixed = (hits: Record<string, string>): OrbSource & { calls: number } => {
    const s = {
      calls: 0,
      async resolve(r: OrbRef) {
        s.calls++;
        const key = `${r.namespace}/${r.name}@${r.version}`;
        return key in hits ? { source: hits[key], resolvedVersion: r.version } : null;
      },
    };
    return s;
  };
  const failing: OrbSource = {
    resolve: async () => {
      throw new Error('offline');
    },
  };

  it('returns the first hit in order', async () => {
    const a = fixed({ 'x/a@1.0.0': 'from a' });
    const b = fixed({ 'x/a@1.0.0': 'from b', 'x/b@1.0.0': 'b only' });
    const chain = new ChainOrbSource([a, b]);
    expect((await chain.resolve(ref('x', 'a', '1.0.0')))?.source).toBe('from a');
    expect(b.calls).toBe(0);
    expect((await chain.resolve(ref('x', 'b', '1.0.0')))?.source).toBe('b only');
    expect(await chain.resolve(ref('x', 'c', '1.0.0'))).toBeNull();
  });

  it('rethrows a failure only when no source has the orb', async () => {
    const b = fixed({ 'x/b@1.0.0': 'b' });
    const chain = new ChainOrbSource([failing, b]);
    expect((await chain.resolve(ref('x', 'b', '1.0.0')))?.source).toBe('b');
    await expect(chain.resolve(ref('x', 'c', '1.0.0'))).rejects.toThrow('offline');
  });

  it('memoizes hits and misses', async () => {
    const inner = fixed({ 'x/a@1.0.0': 'a' });
    const mem = new MemoryOrbSource(inner);
    await mem.preload([ref('x', 'a', '1.0.0'), ref('x', 'z', '1.0.0')]);
    expect((await mem.resolve(ref('x', 'a', '1.0.0')))?.source).toBe('a');
    expect(await mem.resolve(ref('x', 'z', '1.0.0'))).toBeNull();
    expect(inner.calls).toBe(2);
  });
});
