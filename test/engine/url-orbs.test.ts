// URL orbs end to end: a local HTTP server serves an orb; a project whose organization
// allows the URL's prefix compiles it (fetched once, then cached), a project of an
// organization without the entry gets a pipeline error naming the allow-list.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../agent/harness.ts';
import { databaseKinds } from '../helpers/databases.ts';

const ORB = `version: 2.1
commands:
  hello:
    steps:
      - run: echo hello-from-the-url-orb
`;

function config(url: string): string {
  return `version: 2.1
orbs:
  greet: ${url}
jobs:
  build:
    machine: true
    steps: [greet/hello]
workflows:
  main:
    jobs: [build]
`;
}

for (const kind of databaseKinds()) {
  describe(`URL orbs (${kind.name})`, () => {
    let h: Harness;
    let orbServer: http.Server;
    let base: string;
    let fetches = 0;
    beforeAll(async () => {
      h = await Harness.start(kind);
      orbServer = http.createServer((req, res) => {
        fetches++;
        if (req.url === '/orbs/greet.yml') res.writeHead(200, { 'content-type': 'text/yaml' }).end(ORB);
        else if (req.url === '/orbs/moved.yml') res.writeHead(302, { location: 'http://elsewhere.example/orb.yml' }).end();
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => orbServer.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(orbServer.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await h?.close();
      await new Promise((resolve) => orbServer?.close(resolve));
    });

    async function pipeline(slug: string) {
      const id = await h.trigger(slug);
      return h.waitFor(async () => {
        const p = (await h.server.call('GET', `/api/v2/pipeline/${id}`, h.token)).body;
        return p.state !== 'setup-pending' && p.state !== 'pending' ? p : undefined;
      });
    }

    it('fetches an allowed URL orb once and compiles it; refuses one off the allow-list', async () => {
      const { slug } = await h.project(config(`${base}/orbs/greet.yml`));
      const orgId = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body.organization_id;

      // Not yet allowed: a config error naming the allow-list, and nothing fetched.
      const refused = await pipeline(slug);
      expect(refused.state).toBe('errored');
      expect(refused.errors[0].message).toMatch(/URL orb http:\/\/127\.0\.0\.1:\d+\/orbs\/greet\.yml: not on the organization's URL orb allow-list/);
      expect(fetches).toBe(0);

      const added = await h.server.call('POST', `/api/v2/organization/${orgId}/url-orb-allow-list`, h.token, { name: 'local', prefix: `${base}/orbs/`, auth: 'none' });
      expect(added.status, added.text).toBe(200);
      for (let i = 0; i < 2; i++) {
        const ok = await pipeline(slug);
        expect(ok.errors).toEqual([]);
        const job = await h.server.database.db.selectFrom('jobs').select('config').where('pipeline_id', '=', ok.id).executeTakeFirstOrThrow();
        expect(job.config).toContain('echo hello-from-the-url-orb');
      }
      expect(fetches).toBe(1);

      // A redirect could leave the allowed prefix: refused.
      const { slug: moved } = await h.project(config(`${base}/orbs/moved.yml`));
      const err = await pipeline(moved);
      expect(err.state).toBe('errored');
      expect(err.errors[0].message).toMatch(/moved\.yml: could not be fetched/);
    });
  });
}
