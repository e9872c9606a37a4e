// The project's contract with CircleCI clients: every implemented operation is called
// (success and error paths) and each response is validated against CircleCI's spec.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowOn } from '../helpers/flow.ts';
import { runnerTokenFor } from '../helpers/runner.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { CaseContext, ConformanceCase } from './harness.ts';
import { specV1, specV2 } from './spec.ts';

const modules = import.meta.glob<{ cases: ConformanceCase[] }>('./cases/*.ts', { eager: true });
const allCases = Object.entries(modules).flatMap(([file, m]) => m.cases.map((c) => ({ ...c, file: path.basename(file) })));

function makeRepo(): string {
  const dir = tempDir('circlet-repo-');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.mkdirSync(path.join(dir, '.circleci'));
  fs.writeFileSync(
    path.join(dir, '.circleci/config.yml'),
    'version: 2.1\njobs:\n  build:\n    machine: true\n    steps:\n      - run: echo hello\nworkflows:\n  main:\n    jobs:\n      - build\n',
  );
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'init');
  return dir;
}

for (const kind of databaseKinds()) {
  describe(`conformance (${kind.name})`, () => {
    let server: TestServer;
    let ctx: CaseContext;
    const routes = new Set<string>();

    beforeAll(async () => {
      server = await startTestServer(kind);
      const repo = makeRepo();
      // alice of acme, with the runner token of acme's conformance/runner.
      const { token, runnerToken } = await flowOn(server, { resourceClass: 'conformance/runner', runnerName: 'conformance' });
      const { token: otherToken } = await server.user('mallory', 'other');
      await server.project('gh/acme/app', repo);
      await server.project('gh/other/secret', repo);
      // A class of acme's that no runner serves: its jobs stay queued.
      await runnerTokenFor(server.database.db, 'idle', 'conformance/idle');
      ctx = { server, token, otherToken, projectSlug: 'gh/acme/app', repo, runnerToken };
      collectRoutes(server, routes);
    });
    afterAll(async () => {
      await server?.close();
    });

    for (const c of allCases) {
      it(`${c.route} — ${c.name}`, async () => {
        const call = await c.call(ctx);
        const res = await server.call(call.method, call.path, call.token, call.body, call.headers);
        expect(res.status, `${res.text}`).toBe(c.status);
        if (c.spec !== 'none') {
          const spec = c.spec === 'v1' ? specV1() : specV2();
          expect(spec.check(call.method, call.path, res.status, res.body)).toEqual([]);
        }
        const errorKey = c.errorBody ?? 'message';
        if (res.status >= 400) expect(typeof res.body?.[errorKey], `error bodies are {${errorKey}}`).toBe('string');
        await c.expect?.(res.body, ctx);
      });
    }

    it('every implemented route has a conformance case', () => {
      const covered = new Set(allCases.map((c) => c.route));
      const missing = [...routes].filter((r) => !covered.has(r));
      expect(missing).toEqual([]);
    });
  });
}

/** The API routes the app registered (hidden utility routes excluded). */
function collectRoutes(server: TestServer, into: Set<string>): void {
  for (const r of (server.app as unknown as { circletRoutes?: string[] }).circletRoutes ?? []) into.add(r);
}
