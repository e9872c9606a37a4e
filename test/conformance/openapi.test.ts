// The published OpenAPI document: paths relative to a `/api/v2` server entry (as CircleCI's
// own document, which the `circleci` CLI reads), every implemented v2 operation listed with
// CircleCI's operationId, and nothing else (v1.1, runner protocol, utility routes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { specV2 } from './spec.ts';

const sqlite = databaseKinds().find((k) => k.name === 'sqlite')!;

describe('GET /api/v2/openapi.json', () => {
  let server: TestServer;
  let doc: any;
  let routes: string[];
  beforeAll(async () => {
    server = await startTestServer(sqlite);
    const res = await server.call('GET', '/api/v2/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
    routes = ((server.app as unknown as { circletRoutes: string[] }).circletRoutes ?? []).filter((r) => r.split(' ')[1]!.startsWith('/api/v2/'));
  });
  afterAll(async () => server?.close());

  /** `GET /api/v2/project/:provider/:x` → method and path relative to the server, `{x}` params. */
  const relative = (route: string) => {
    const [method, url] = route.split(' ') as [string, string];
    return { method: method.toLowerCase(), path: url.slice('/api/v2'.length).replace(/:([A-Za-z0-9_-]+)/g, '{$1}') };
  };

  it('is served without a token, with paths relative to a /api/v2 server', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.servers).toEqual([{ url: '/api/v2' }]);
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p.startsWith('/api/'), p).toBe(false);
    expect(doc.paths['/context']).toBeDefined();
    expect(doc.paths['/me'].get.operationId).toBe('getCurrentUser');
  });

  it('lists every implemented v2 operation with its operationId', () => {
    expect(routes.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const r of routes) {
      const { method, path } = relative(r);
      const op = doc.paths[path]?.[method];
      if (!op?.operationId) missing.push(r);
    }
    expect(missing).toEqual([]);
  });

  it("uses CircleCI's operationId where CircleCI's spec has the operation", () => {
    const wrong: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const concrete = '/api/v2' + path.replace(/\{[^}]+\}/g, 'x');
        const theirs = specV2().operation(method.toUpperCase(), concrete);
        if (theirs?.operationId && theirs.operationId !== op.operationId) wrong.push(`${method.toUpperCase()} ${path}: ${op.operationId} (CircleCI: ${theirs.operationId})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('publishes no v1.1, runner or utility route', () => {
    const ops = Object.entries<any>(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    expect(ops.filter((o) => /v1\.1|runner|healthz|readyz|openapi\.json/.test(o))).toEqual([]);
    expect(Object.keys(doc.paths).length).toBe(new Set(routes.map((r) => relative(r).path)).size);
  });
});
