// HTTP fuzzing over every registered route (issue 18, proof): generated bad paths, queries,
// bodies, content types and credentials. Every answer is below 500 and comes within a bound,
// on both databases.
//   FUZZ_HTTP_RUNS=3000 npm run fuzz     (CI runs a few hundred requests per database)
import crypto from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** An answer within this, or the request counts as hung. */
const BOUND_MS = 5_000;
/** Routes that long-poll by design (up to their wait_ms): fuzzed without a working runner token. */
/** The Policy Management routes, which answer 501 (config policies need OPA). */
const POLICY = /^\/api\/v2\/owner\//;
const LONG_POLL = /\/(claim|cancellation)$/;

const CONFIG = 'version: 2.1\njobs:\n  a: {machine: true, steps: [{run: echo a}]}\nworkflows: {w: {jobs: [a]}}\n';

/** Strings a client should not send: NUL, surrogates, traversal, huge numbers, encodings, long runs. */
const hostile = fc.oneof(
  fc.constantFrom(
    '%00', 'a%00b', '%ED%A0%80', '%FF', '%', '%2', '..', '%2e%2e', '../../etc/passwd', '1e308', '-1e308', '99999999999999999999999', '18446744073709552000',
    'Infinity', 'NaN', '-1', '0', '1.5', '0x10', '', ' ', '%20', 'null', 'undefined', '[]', '{}', 'true', '00000000-0000-4000-8000-000000000000',
    'gh', 'github', 'bitbucket', 'circleci', 'acme', 'app', '%2F', 'a%2Fb', '%u0000', '\\', "'", '"', '<script>', '${x}', '<<', 'ä', '😀', '%F0%9F%98%80',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('a', '0', '%00').chain((c) => fc.integer({ min: 100, max: 3000 }).map((n) => c.repeat(n))),
);

/** Path segments: mostly names that exist (so requests get past the 404s), some hostile, some real names with a bad byte. */
const VALID = ['gh', 'github', 'acme', 'app', '1', '0', 'main'];
const segment = (real: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...VALID, ...real) },
    { weight: 3, arbitrary: hostile },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...VALID, ...real), fc.constantFrom('%00', '%ED%A0%80', '1e308', '%2F..')).map(([a, b]) => a + b) },
  );

const pageToken = fc.oneof(
  hostile,
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ k: v })).toString('base64url')),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
);

const queryKeys = fc.constantFrom('page-token', 'offset', 'limit', 'branch', 'project', 'org-slug', 'owner-id', 'owner-slug', 'circle-token', 'circle%2Dtoken', 'circle-token[]', 'mine', 'filter', 'path', 'key', 'expires', 'sig', 'reporting-window', 'all-branches', 'start-date', 'x', 'project[]');
const query = fc.array(fc.tuple(queryKeys, fc.oneof(hostile, pageToken)), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

/** JSON bodies: arbitrary values, and objects with the field names routes read, holding hostile values. */
const fieldNames = fc.constantFrom('agent_id', 'branch', 'tag', 'parameters', 'name', 'value', 'seq', 'index', 'exit_code', 'status', 'data', 'config', 'content', 'definition_id', 'checkout', 'url', 'events', 'scope', 'owner', 'type', 'keys', 'tests', 'wait_ms', 'executors', 'resource_classes', 'message', 'signing-secret', 'verify-tls', 'description', 'timetable', 'attribution-actor');
const jsonScalar = fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostile.map(decodeURIComponentSafe), fc.constantFrom(1e308, -1e308, 18446744073709552000, 2 ** 31, -(2 ** 31) - 1, 1.5, 'a\u0000b', '\ud800'));
const jsonBody = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fieldNames, fc.oneof(jsonScalar, fc.dictionary(fieldNames, jsonScalar, { maxKeys: 3 }), fc.array(jsonScalar, { maxLength: 3 })), { maxKeys: 6 }));

const body = fc.oneof(
  fc.constant(undefined),
  jsonBody.map((v) => ({ type: 'application/json', data: JSON.stringify(v) })),
  fc.tuple(fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/json; charset=utf-16'), fc.oneof(fc.string({ maxLength: 200 }), jsonBody.map((v) => JSON.stringify(v)), fc.constantFrom('{', '{"a":', '\u0000', 'payload=%7B%7D', '[' .repeat(5000), '{"a":'.repeat(3000)))).map(([type, data]) => ({ type, data })),
);

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

for (const kind of databaseKinds()) {
  describe(`HTTP fuzz over every route (${kind.name})`, () => {
    let server: TestServer;
    let routes: string[];
    let userToken: string;
    let runnerToken: string;
    /** Ids of a real pipeline and workflow, so id routes reach their handlers. */
    let real: string[];

    beforeAll(async () => {
      server = await startTestServer(kind);
      userToken = (await server.user('alice', 'acme')).token;
      await server.project('gh/acme/app', makeRepo(CONFIG).dir);
      runnerToken = await createRunnerToken(server.database.db, 'fuzz');
      const run = await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', userToken, {});
      expect(run.status, run.text).toBe(201);
      const wf = (await server.call('GET', `/api/v2/pipeline/${run.body.id}/workflow`, userToken)).body.items[0];
      real = [run.body.id, wf.id, String(run.body.number)];
      routes = [...new Set((server.app as unknown as { circletAllRoutes: string[] }).circletAllRoutes)].sort();
    });
    afterAll(async () => server?.close());

    it('knows the routes it fuzzes', () => {
      expect(routes.length).toBeGreaterThan(50);
      for (const r of ['POST /api/runner/v1/claim', 'POST /hooks/github', 'GET /api/v2/me', 'GET /api/v1.1/project/:vcs/:org/:repo']) expect(routes).toContain(r);
    });

    it('answers every generated request below 500 and within the bound', async () => {
      const auth = (route: string) =>
        fc.constantFrom<Record<string, string>>(
          {},
          { 'circle-token': userToken },
          { 'circle-token': userToken },
          { 'circle-token': userToken },
          { authorization: `Basic ${Buffer.from(`${userToken}:`).toString('base64')}` },
          { 'circle-token': crypto.randomBytes(20).toString('hex') },
          { authorization: 'Bearer \u00ff' },
          { authorization: 'Basic %%%' },
          ...(LONG_POLL.test(route) ? [] : [{ authorization: `Bearer ${runnerToken}` }, { authorization: `Bearer ${runnerToken}`, 'x-circlet-task-credential': 'x', 'x-circlet-agent': 'a' }]),
          { 'x-hub-signature-256': 'sha256=00', 'x-gitlab-token': 'x', 'x-circlet-secret': 'x' },
        );
      const request = fc
        .constantFrom(...routes)
        .chain((route) => fc.record({ route: fc.constant(route), params: fc.array(segment(real), { minLength: 8, maxLength: 8 }), query, body, headers: auth(route) }));
      await fc.assert(
        fc.asyncProperty(request, async ({ route, params, query: q, body: b, headers }) => {
          const [method, pattern] = route.split(' ') as [string, string];
          let i = 0;
          const path = pattern.replace(/:[A-Za-z_]+|\*/g, () => params[i++ % params.length]!);
          const url = `${server.url}${path}${q ? `?${q}` : ''}`;
          const t0 = performance.now();
          let status: number;
          let text = '';
          try {
            const res = await fetch(url, {
              method,
              headers: { ...headers, ...(b && b.type ? { 'content-type': b.type } : {}) },
              body: b && method !== 'GET' && method !== 'HEAD' ? b.data : undefined,
              signal: AbortSignal.timeout(BOUND_MS),
            });
            status = res.status;
            text = await res.text();
          } catch (err) {
            // fetch refuses URLs and headers no server would see; anything else is a failure.
            if (err instanceof TypeError && /Invalid URL|invalid header|ByteString|Headers/i.test(String(err.message) + String((err as { cause?: Error }).cause?.message))) return;
            throw new Error(`${method} ${url}: ${String(err)}`);
          }
          const ms = performance.now() - t0;
          // Policy Management answers 501 by design (docs/compatibility.md): only that, only there.
          const notImplemented = status === 501 && POLICY.test(pattern) && /Policy Management/.test(text);
          if (!notImplemented) expect(status, `${method} ${url} → ${status} ${text.slice(0, 300)}`).toBeLessThan(500);
          expect(ms, `${method} ${url} took ${ms} ms`).toBeLessThan(BOUND_MS);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }, 600_000);

    it('still answers after the fuzzing', async () => {
      expect((await server.call('GET', '/healthz')).status).toBe(200);
      expect((await server.call('GET', '/api/v2/me', userToken)).status).toBe(200);
    });
  });
}
