// End to end over HTTP on real git repositories: trigger → workflows and jobs → a
// scripted agent → final statuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { startFlow, type Flow } from '../helpers/flow.ts';
import type { TestServer } from '../helpers/server.ts';

const DAG = `
version: 2.1
executors:
  box:
    machine: true
jobs:
  build:
    executor: box
    steps: [checkout, {run: echo build}]
  test:
    executor: box
    parallelism: 2
    steps: [{run: echo test}]
  lint:
    executor: box
    steps: [{run: echo lint}]
  deploy:
    executor: box
    steps: [{run: echo deploy}]
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
      - lint: {requires: [build]}
      - hold: {type: approval, requires: [test, lint]}
      - deploy: {requires: [hold]}
`;

for (const kind of databaseKinds()) {
  describe(`pipeline flow (${kind.name})`, () => {
    let flow: Flow;
    let server: TestServer;
    let token: string;
    let aliceId: string;
    beforeAll(async () => {
      flow = await startFlow(kind, { engine: { leaseMs: 1_000 } });
      ({ server, token } = flow);
      aliceId = flow.user.id;
    });
    afterAll(async () => server?.close());

    const jobsOf = async (pipelineId: string) => {
      const wfs = (await server.call('GET', `/api/v2/pipeline/${pipelineId}/workflow`, token)).body.items;
      const out: Record<string, string> = {};
      for (const wf of wfs) for (const j of (await server.call('GET', `/api/v2/workflow/${wf.id}/job`, token)).body.items) out[`${wf.name}/${j.name}`] = j.status;
      return { workflows: wfs as any[], jobs: out };
    };

    it('runs a DAG with fan-out, fan-in and an approval', async () => {
      const { repo } = await flow.project('gh/acme/dag', DAG);
      const trig = await server.call('POST', '/api/v2/project/gh/acme/dag/pipeline', token, {});
      expect(trig.status, trig.text).toBe(201);
      expect(trig.body.state).toBe('created');
      const agent = flow.agent();
      const ran = await agent.drain();
      expect(ran.map((t) => t.job.name).sort()).toEqual(['build', 'lint', 'test', 'test']);
      const build = ran.find((t) => t.job.name === 'build')!;
      expect(build.environment.CIRCLE_BRANCH).toBe('main');
      expect(build.environment.CIRCLE_SHA1).toBe(repo.git('rev-parse', 'HEAD'));
      let state = await jobsOf(trig.body.id);
      expect(state.jobs).toEqual({ 'main/build': 'success', 'main/test': 'success', 'main/lint': 'success', 'main/hold': 'on_hold', 'main/deploy': 'blocked' });
      expect(state.workflows[0].status).toBe('on_hold');
      const wfJobs = (await server.call('GET', `/api/v2/workflow/${state.workflows[0].id}/job`, token)).body.items;
      const hold = wfJobs.find((j: any) => j.name === 'hold');
      const approve = await server.call('POST', `/api/v2/workflow/${state.workflows[0].id}/approve/${hold.approval_request_id}`, token);
      expect(approve.status, approve.text).toBe(202);
      const approved = (await server.call('GET', `/api/v2/workflow/${state.workflows[0].id}/job`, token)).body.items.find((j: any) => j.name === 'hold');
      expect(approved.status).toBe('success');
      expect(approved.approved_by).toBe(aliceId);
      await agent.drain();
      state = await jobsOf(trig.body.id);
      expect(state.jobs['main/deploy']).toBe('success');
      expect(state.workflows[0].status).toBe('success');
    });
  });
}
