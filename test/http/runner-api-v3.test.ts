// CircleCI's runner API v3 (/api/v3/runner) over real HTTP on SQLite and PostgreSQL: resource
// classes and tokens managed by organization admins, and the task counts autoscalers poll,
// watched rising and falling while a real agent works through a queue of jobs.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { silentLogger } from '../../src/agent/logger.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** Three jobs that each wait for a token file in `gate`, taking one (mv is atomic). */
const queueConfig = (gate: string) => `
version: 2.1
jobs:
  work:
    machine: true
    resource_class: acme/linux
    steps:
      - run: |
          while :; do
            for f in ${gate}/token-*; do [ -e "$f" ] && mv "$f" "${gate}/used-$CIRCLE_JOB" 2>/dev/null && exit 0; done
            sleep 0.05
          done
workflows:
  main:
    jobs:
      - work: {name: one}
      - work: {name: two}
      - work: {name: three}
`;

const cleanups: string[] = [];
afterAll(() => {
  for (const dir of cleanups) fs.rmSync(dir, { recursive: true, force: true });
});

for (const kind of databaseKinds()) {
  describe(`runner API v3 (${kind.name})`, () => {
    let server: TestServer;
    let admin: string;
    let member: string;
    let outsider: string;
    let classId: string;
    let runnerToken: string;
    beforeAll(async () => {
      server = await startTestServer(kind);
      admin = (await server.user('alice', 'acme')).token;
      const bob = await server.user('bob');
      await addMember(server.database.db, (await ensureOrganization(server.database.db, 'github', 'acme')).id, bob.user.id, 'contributor');
      member = bob.token;
      outsider = (await server.user('eve', 'evil')).token;
    });
    afterAll(async () => {
      server?.app.server.closeAllConnections();
      await server?.close();
    });

    it('creates a resource class for the organization named like its namespace, once', async () => {
      const r = await server.call('POST', '/api/v3/runner/resource', admin, { resource_class: 'acme/linux', description: 'Linux boxes' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), resource_class: 'acme/linux', description: 'Linux boxes' });
      classId = r.body.id;
      expect((await server.call('POST', '/api/v3/runner/resource', admin, { resource_class: 'acme/linux' })).status).toBe(409);
      expect((await server.call('POST', '/api/v3/runner/resource', admin, { resource_class: 'no-slash' })).body).toEqual({ message: "Invalid resource_class 'no-slash': expected namespace/name." });
      expect((await server.call('POST', '/api/v3/runner/resource', admin, {})).status).toBe(400);
      expect((await server.call('POST', '/api/v3/runner/resource', member, { resource_class: 'acme/other' })).status).toBe(403);
      expect((await server.call('POST', '/api/v3/runner/resource', outsider, { resource_class: 'acme/mine' })).status).toBe(400);
      expect((await server.call('POST', '/api/v3/runner/resource', undefined, { resource_class: 'acme/x' })).status).toBe(401);
    });

    it('lists classes of a namespace to its members only', async () => {
      const mine = await server.call('GET', '/api/v3/runner/resource?namespace=acme', member);
      expect(mine.body).toEqual({ items: [{ id: classId, resource_class: 'acme/linux', description: 'Linux boxes' }] });
      expect((await server.call('GET', '/api/v3/runner/resource?namespace=acme', outsider)).body).toEqual({ items: [] });
      expect((await server.call('GET', '/api/v3/runner/resource', admin)).status).toBe(400);
    });

    it('issues, lists and revokes runner tokens; the token is shown once', async () => {
      const r = await server.call('POST', '/api/v3/runner/token', admin, { resource_class: 'acme/linux', nickname: 'box 1' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ id: expect.any(String), token: expect.stringMatching(/^[0-9a-f]{40}$/), resource_class: 'acme/linux', nickname: 'box 1', created_at: expect.any(String) });
      runnerToken = r.body.token;
      const spare = await server.call('POST', '/api/v3/runner/token', admin, { resource_class: 'acme/linux', nickname: 'spare' });
      const list = await server.call('GET', '/api/v3/runner/token?resource-class=acme/linux', member);
      expect(list.body.items.map((t: { nickname: string }) => t.nickname)).toEqual(['box 1', 'spare']);
      expect(JSON.stringify(list.body)).not.toContain(runnerToken);
      expect((await server.call('GET', '/api/v3/runner/token?resource-class=acme/linux', outsider)).status).toBe(404);
      expect((await server.call('POST', '/api/v3/runner/token', member, { resource_class: 'acme/linux', nickname: 'x' })).status).toBe(403);
      expect((await server.call('DELETE', `/api/v3/runner/token/${spare.body.id}`, outsider)).status).toBe(404);
      expect((await server.call('DELETE', `/api/v3/runner/token/${spare.body.id}`, admin)).body).toEqual({ message: 'Token deleted.' });
      expect((await server.call('DELETE', `/api/v3/runner/token/${spare.body.id}`, admin)).status).toBe(404);
      // A class with tokens is deleted only with /force.
      expect((await server.call('DELETE', `/api/v3/runner/resource/${classId}`, admin)).status).toBe(400);
    });

    it('counts unclaimed and running tasks as an agent works through a queue', async () => {
      const gate = tempDir('circlet-gate-');
      const work = tempDir('circlet-work-');
      const repo = makeRepo(queueConfig(gate));
      cleanups.push(gate, work, repo.dir);
      await server.project('gh/acme/queue', repo.dir);
      const counts = async (token = admin, header?: Record<string, string>) => {
        const u = await server.call('GET', '/api/v3/runner/tasks?resource-class=acme/linux', header ? undefined : token, undefined, header);
        const r = await server.call('GET', '/api/v3/runner/tasks/running?resource-class=acme/linux', header ? undefined : token, undefined, header);
        expect(u.status).toBe(200);
        expect(r.status).toBe(200);
        return [u.body.unclaimed_task_count, r.body.running_runs_count];
      };
      const until = (want: number[]) => waitFor(() => counts(), (got) => got[0] === want[0] && got[1] === want[1], { timeoutMs: 20_000, what: `counts ${JSON.stringify(want)}` });
      expect(await counts()).toEqual([0, 0]);
      const trigger = await server.call('POST', '/api/v2/project/gh/acme/queue/pipeline', admin, {});
      expect(trigger.status).toBe(201);
      await until([3, 0]);
      // The class's own runner token may read its counts too; another class's may not.
      expect(await counts(undefined, { authorization: `Bearer ${runnerToken}` })).toEqual([3, 0]);

      const agent = new Agent({ url: server.url, token: runnerToken, agentId: 'box1-0123abcd', resourceClasses: ['acme/linux'], logger: silentLogger, claimWaitMs: 1_000, workDir: work });
      const running = agent.start();
      try {
        await until([2, 1]);
        const runners = await server.call('GET', '/api/v3/runner?resource-class=acme/linux', member);
        expect(runners.body.items).toEqual([
          expect.objectContaining({ resource_class: 'acme/linux', name: 'box1-0123abcd', hostname: 'box1', ip: expect.any(String), first_connected: expect.any(String), last_connected: expect.any(String), last_used: expect.any(String) }),
        ]);
        expect((await server.call('GET', '/api/v3/runner?namespace=acme', member)).body.items).toHaveLength(1);
        expect((await server.call('GET', '/api/v3/runner?namespace=acme', outsider)).body.items).toHaveLength(0);
        expect((await server.call('GET', '/api/v3/runner', member)).status).toBe(400);
        for (const [i, want] of [[1, 1], [0, 1], [0, 0]].entries()) {
          fs.writeFileSync(path.join(gate, `token-${i}`), '');
          await until(want);
        }
      } finally {
        await agent.stop();
        await running.catch(() => undefined);
      }
      expect(fs.readdirSync(gate).sort()).toEqual(['used-one', 'used-three', 'used-two']);
    }, 60_000);

    it('answers 400 for a bad class and 404 for one the caller cannot see', async () => {
      expect((await server.call('GET', '/api/v3/runner/tasks', admin)).body).toEqual({ message: 'The resource-class query parameter is required.' });
      expect((await server.call('GET', '/api/v3/runner/tasks?resource-class=medium', admin)).status).toBe(400);
      expect((await server.call('GET', '/api/v3/runner/tasks?resource-class=acme/linux', outsider)).body).toEqual({ message: 'Resource class not found.' });
      expect((await server.call('GET', '/api/v3/runner/tasks/running?resource-class=acme/none', admin)).status).toBe(404);
      expect((await server.call('GET', '/api/v3/runner/tasks?resource-class=acme/linux', undefined, undefined, { authorization: 'Bearer nope' })).status).toBe(401);
    });

    it('deletes a class with its tokens by /force, admins only', async () => {
      expect((await server.call('DELETE', `/api/v3/runner/resource/${classId}/force`, member)).status).toBe(403);
      expect((await server.call('DELETE', `/api/v3/runner/resource/${classId}/force`, admin)).body).toEqual({ message: 'Resource class deleted.' });
      expect((await server.call('GET', '/api/v3/runner/resource?namespace=acme', admin)).body).toEqual({ items: [] });
      expect((await server.call('GET', '/api/v3/runner/token?resource-class=acme/linux', admin)).status).toBe(404);
      expect((await server.call('DELETE', '/api/v3/runner/resource/not-a-uuid', admin)).status).toBe(404);
    });
  });
}
