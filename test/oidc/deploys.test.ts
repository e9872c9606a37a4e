// Deploys end to end: real jobs record two versions with `circleci run release`, the Deploy
// routes list them, a rollback to the first starts a pipeline with it as `target_version`,
// and that pipeline's job runs with the version.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../agent/harness.ts';
import { startEmbeddedHarness, type EmbeddedHarness } from '../helpers/embedded-harness.ts';
import { databaseKinds } from '../helpers/databases.ts';

function config(out: string): string {
  return `
version: 2.1
parameters:
  target_version: {type: string, default: ""}
  version: {type: string, default: "1.0.0"}
jobs:
  deploy:
    machine: true
    parameters:
      v: {type: string}
    steps:
      - run: circleci run release plan --environment-name=production --component-name=web --target-version=<< parameters.v >>
      - run: echo "deploying << parameters.v >>" >> ${out}/deployed
      - run: circleci run release update --environment-name=production --component-name=web --status=SUCCESS
workflows:
  release:
    when: {equal: ["", << pipeline.parameters.target_version >>]}
    jobs: [{deploy: {v: << pipeline.parameters.version >>}}]
  rollback:
    when: << pipeline.parameters.target_version >>
    jobs: [{deploy: {v: << pipeline.parameters.target_version >>}}]
`;
}

for (const kind of databaseKinds()) {
  describe(`deploys and rollbacks (${kind.name})`, () => {
    let e: EmbeddedHarness;
    let h: Harness;
    let out: string;
    beforeAll(async () => {
      e = await startEmbeddedHarness(kind, 'circlet-deploy-out-');
      ({ h, out } = e);
    });
    afterAll(async () => e?.close());

    it('tracks two deployed versions, lists them, and rolls back with a pipeline', async () => {
      const { slug } = await h.project(config(out));
      const project = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body;
      const org = project.organization_id;
      for (const version of ['1.0.0', '2.0.0']) {
        const r = await h.server.call('POST', `/api/v2/project/${slug}/pipeline`, h.token, { parameters: { version } });
        expect(r.status, r.text).toBe(201);
        await h.waitDone(r.body.id);
        expect((await h.jobs(r.body.id)).deploy!.status).toBe('success');
      }
      const envs = await h.server.call('GET', `/api/v2/deploy/environments?org-id=${org}&page-size=10`, h.token);
      expect(envs.body.items.map((e: { name: string }) => e.name)).toEqual(['production']);
      const comps = await h.server.call('GET', `/api/v2/deploy/components?org-id=${org}&project-id=${project.id}&page-size=10`, h.token);
      expect(comps.body.items).toEqual([expect.objectContaining({ name: 'web', project_id: project.id, release_count: 2 })]);
      const versions = await h.server.call('GET', `/api/v2/deploy/components/${comps.body.items[0].id}/versions`, h.token);
      expect(versions.body.items.map((v: { name: string; is_live: boolean }) => [v.name, v.is_live])).toEqual([['2.0.0', true], ['1.0.0', false]]);

      const rb = await h.server.call('POST', `/api/v2/projects/${project.id}/rollback`, h.token, { environment_name: 'production', component_name: 'web', current_version: '2.0.0', target_version: '1.0.0', reason: 'bad deploy' });
      expect(rb.status, rb.text).toBe(202);
      expect(rb.body.rollback_type).toBe('PIPELINE');
      await h.waitDone(rb.body.id);
      const wfs = await h.workflows(rb.body.id);
      expect(wfs.map((w) => [w.name, w.status])).toEqual([['rollback', 'success']]);
      expect(fs.readFileSync(path.join(out, 'deployed'), 'utf8')).toBe('deploying 1.0.0\ndeploying 2.0.0\ndeploying 1.0.0\n');
      const after = await h.server.call('GET', `/api/v2/deploy/components/${comps.body.items[0].id}/versions`, h.token);
      expect(after.body.items.find((v: { name: string }) => v.name === '1.0.0').is_live).toBe(true);

      const never = await h.server.call('POST', `/api/v2/projects/${project.id}/rollback`, h.token, { environment_name: 'production', component_name: 'web', current_version: '1.0.0', target_version: '9.9.9' });
      expect(never.status).toBe(400);
    });
  });
}
