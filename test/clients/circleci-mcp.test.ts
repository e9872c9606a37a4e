// CircleCI's own v2 client — the API clients inside `@circleci/mcp-server-circleci` (npm,
// CircleCI's MCP server) — unmodified, against a running circlet with real pipelines run by
// the embedded agent: every API method it has is called and what it returns is asserted. The
// client validates each response with its own zod schemas (so a null where it expects a
// string fails the call), and it reaches circlet through its documented `CIRCLECI_BASE_URL`
// setting via the validating proxy, so every response is also checked against CircleCI's spec.
import { CircleCIClients } from '@circleci/mcp-server-circleci/dist/clients/circleci/index.js';
import { CircleCIPrivateClients } from '@circleci/mcp-server-circleci/dist/clients/circleci-private/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { Harness } from '../agent/harness.ts';
import { specV1, specV2 } from '../conformance/spec.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startValidatingProxy, type ValidatingProxy } from './validating-proxy.ts';

/** What the clients answer: their own zod-parsed objects. */
type Row = Record<string, any>;

const CONFIG = `
version: 2.1
parameters:
  target_version: {type: string, default: ""}
jobs:
  test:
    machine: true
    steps:
      - checkout
      - run:
          name: make reports
          command: |
            mkdir -p reports art
            echo hello > art/one.txt
            cat > reports/results.xml <<'XML'
            <testsuites><testsuite name="suite">
            <testcase classname="A" name="passes" file="a.js" time="0.5"/>
            <testcase classname="A" name="fails" file="a.js" time="1"><failure message="expected 1 to equal 2">at a.js:3</failure></testcase>
            </testsuite></testsuites>
            XML
      - store_artifacts: {path: art, destination: build}
      - store_test_results: {path: reports}
      - run: {name: release, command: 'circleci run release log --environment-name=production --component-name=web --target-version=1.0.0'}
  broken:
    machine: true
    steps:
      - run: {name: fails, command: 'echo to-stderr >&2; exit 3'}
workflows:
  main:
    jobs: [test, {broken: {requires: [test]}}]
`;

/** Private routes: in no OpenAPI document. */
const PRIVATE = /^\/api\/private\//;

/**
 * Where circlet answers as CircleCI does rather than as its spec says (each is listed in
 * docs/compatibility.md): routes the spec omits, and the flaky-tests keys, which CircleCI
 * sends in snake_case (the client's own schema requires `flaky_tests`).
 */
const BEYOND_SPEC = (s: { method: string; path: string; problems: string[] }): boolean =>
  (s.method === 'POST' && s.path === '/api/v2/compile-config-with-defaults') ||
  (s.method === 'GET' && /^\/api\/v2\/project\/[0-9a-f-]{36}$/.test(s.path)) ||
  (s.method === 'GET' && /^\/api\/v2\/deploy\/projects\/[0-9a-f-]{36}\/settings$/.test(s.path)) ||
  (/\/flaky-tests$/.test(s.path) && s.problems.every((p) => /'(flaky-tests|total-flaky-tests)'/.test(p)));

for (const kind of databaseKinds()) {
  describe(`CircleCI's MCP-server API clients (v2, v1.1, private) against circlet (${kind.name})`, () => {
    let h: Harness;
    let embedded: EmbeddedAgent;
    let proxy: ValidatingProxy;
    let v1proxy: ValidatingProxy;
    let api: CircleCIClients;
    let priv: CircleCIPrivateClients;
    let slug: string;
    let projectId: string;
    let pipelineId: string;
    let pipelineNumber: number;
    let workflowId: string;
    let jobs: { name: string; job_number: number; id: string }[];
    const saved = process.env.CIRCLECI_BASE_URL;

    beforeAll(async () => {
      h = await Harness.start(kind);
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 2, logger: silentLogger });
      ({ slug } = await h.project(CONFIG));
      projectId = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body.id;
      pipelineId = await h.trigger(slug);
      await h.waitDone(pipelineId, 60_000);
      proxy = await startValidatingProxy(h.server.url, specV2());
      v1proxy = await startValidatingProxy(h.server.url, specV1());
      // The clients read their base URL when they are built; CIRCLECI_BASE_URL is their documented setting.
      process.env.CIRCLECI_BASE_URL = proxy.url;
      api = new CircleCIClients({ token: h.token });
      process.env.CIRCLECI_BASE_URL = v1proxy.url;
      priv = new CircleCIPrivateClients({ token: h.token });
      api.jobsV1 = new CircleCIClients({ token: h.token }).jobsV1;
      if (saved === undefined) delete process.env.CIRCLECI_BASE_URL;
      else process.env.CIRCLECI_BASE_URL = saved;
    }, 120_000);
    afterAll(async () => {
      await embedded?.stop(0);
      await proxy?.close();
      await v1proxy?.close();
      await h?.close();
    });

    it('projects: getProject, getProjectByID (a bare project id where a slug goes)', async () => {
      const orgId = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body.organization_id;
      expect(await api.projects.getProject({ projectSlug: slug })).toEqual({ id: projectId, organization_id: orgId });
      expect(await api.projects.getProjectByID({ projectID: projectId })).toEqual({ id: projectId, organization_id: orgId });
    });

    it('pipelines: getPipelines (branch filter), getPipelineByNumber', async () => {
      const list = await api.pipelines.getPipelines({ projectSlug: slug, branch: 'main' });
      expect(list.map((p: Row) => p.id)).toContain(pipelineId);
      pipelineNumber = list.find((p: Row) => p.id === pipelineId)!.number;
      expect(await api.pipelines.getPipelines({ projectSlug: slug, branch: 'no-such-branch' })).toEqual([]);
      expect(await api.pipelines.getPipelineByNumber({ projectSlug: slug, pipelineNumber })).toMatchObject({ id: pipelineId, number: pipelineNumber });
    });

    it('workflows: getPipelineWorkflows, getWorkflow', async () => {
      const wfs = await api.workflows.getPipelineWorkflows({ pipelineId });
      expect(wfs.map((w: Row) => [w.name, w.status])).toEqual([['main', 'failed']]);
      workflowId = wfs[0]!.id;
      expect(await api.workflows.getWorkflow({ workflowId })).toMatchObject({ id: workflowId, name: 'main', status: 'failed', pipeline_id: pipelineId });
    });

    it('jobs: getWorkflowJobs, getJobByNumber, getJobArtifacts', async () => {
      const listed = await api.jobs.getWorkflowJobs({ workflowId });
      const raw = (await h.server.call('GET', `/api/v2/workflow/${workflowId}/job`, h.token)).body.items as { name: string; job_number: number; id: string }[];
      expect(listed).toEqual(raw.map((j) => ({ id: j.id, job_number: j.job_number })));
      jobs = raw;
      expect(jobs.map((j) => j.name).sort()).toEqual(['broken', 'test']);
      const test = jobs.find((j) => j.name === 'test')!;
      expect(await api.jobs.getJobByNumber({ projectSlug: slug, jobNumber: test.job_number })).toEqual({ id: test.id });
      const artifacts = await api.jobs.getJobArtifacts({ projectSlug: slug, jobNumber: test.job_number! });
      expect(artifacts.map((a: Row) => a.path)).toEqual(['build/one.txt']);
      expect(await (await fetch(artifacts[0]!.url, { headers: { 'Circle-Token': h.token } })).text()).toBe('hello\n');
    });

    it('jobsV1: getJobDetails (v1.1 build with steps)', async () => {
      const broken = jobs.find((j) => j.name === 'broken')!;
      const details = await api.jobsV1.getJobDetails({ projectSlug: slug, jobNumber: broken.job_number! });
      expect(details).toMatchObject({ build_num: broken.job_number, workflows: { job_name: 'broken' } });
      const names = details.steps.map((s: { name: string }) => s.name);
      expect(names).toContain('fails');
    });

    it('private: getStepOutput (raw output and error of a step)', async () => {
      const broken = jobs.find((j) => j.name === 'broken')!;
      const details = await api.jobsV1.getJobDetails({ projectSlug: slug, jobNumber: broken.job_number! });
      const step = details.steps.find((s: { name: string }) => s.name === 'fails')!;
      const action = step.actions[0]!;
      const out = await priv.jobs.getStepOutput({ projectSlug: slug, jobNumber: broken.job_number!, taskIndex: action.index, stepId: action.step });
      expect(out.output + out.error).toContain('to-stderr');
    });

    it('tests: getJobTests (a passing test has a string message)', async () => {
      const test = jobs.find((j) => j.name === 'test')!;
      const tests = await api.tests.getJobTests({ projectSlug: slug, jobNumber: test.job_number! });
      expect(tests.map((t: Row) => [t.name, t.result]).sort()).toEqual([['fails', 'failure'], ['passes', 'success']]);
      expect(tests.find((t: Row) => t.name === 'passes')!.message).toBe('');
    });

    it('insights: getProjectFlakyTests', async () => {
      expect(await api.insights.getProjectFlakyTests({ projectSlug: slug })).toEqual({ flaky_tests: [], total_flaky_tests: 0 });
    });

    it('configValidate: validateConfig (valid and invalid)', async () => {
      const ok = await api.configValidate.validateConfig({ config: CONFIG });
      expect(ok.valid).toBe(true);
      expect(ok['output-yaml']).toContain('broken');
      expect(ok['source-yaml']).toBe(CONFIG);
      const bad = await api.configValidate.validateConfig({ config: 'version: 2.1\njobs: {}\nworkflows: {w: {jobs: [nope]}}\n' });
      expect(bad.valid).toBe(false);
      expect(bad.errors?.length).toBeGreaterThan(0);
    });

    it('pipelines: getPipelineDefinitions, runPipeline with the empty config content it always sends', async () => {
      const defs = await api.pipelines.getPipelineDefinitions({ projectId });
      expect(defs.length).toBeGreaterThan(0);
      const run = await api.pipelines.runPipeline({ projectSlug: slug, branch: 'main', definitionId: defs[0]!.id });
      expect(run).toMatchObject({ number: expect.any(Number) });
      expect(run.number).toBeGreaterThan(pipelineNumber);
    });

    it('workflows: rerunWorkflow from failed', async () => {
      const rerun = await api.workflows.rerunWorkflow({ workflowId, fromFailed: true });
      expect(rerun.workflow_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(rerun.workflow_id).not.toBe(workflowId);
    });

    it('private: getFollowedProjects (the triggering user follows the project)', async () => {
      const { projects } = await priv.me.getFollowedProjects();
      expect(projects.map((p: Row) => p.slug)).toContain(slug);
    });

    it('deploys: fetchEnvironments, fetchProjectComponents, fetchComponentVersions, runRollbackPipeline, fetchProjectDeploySettings', async () => {
      const orgID = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body.organization_id;
      const envs = await api.deploys.fetchEnvironments({ orgID });
      const production = envs.items.find((e: Row) => e.name === 'production');
      expect(production).toBeDefined();
      const components = await api.deploys.fetchProjectComponents({ projectID: projectId, orgID });
      const web = components.items.find((c: Row) => c.name === 'web');
      expect(web).toMatchObject({ project_id: projectId, release_count: 1 });
      const versions = await api.deploys.fetchComponentVersions({ componentID: web.id, environmentID: production.id });
      expect(versions.items.map((v: Row) => [v.name, v.is_live])).toEqual([['1.0.0', true]]);
      const rollback = await api.deploys.runRollbackPipeline({
        projectID: projectId,
        rollbackRequest: { component_name: 'web', environment_name: 'production', current_version: '1.0.0', target_version: '1.0.0', reason: 'client suite' },
      });
      expect(rollback).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), rollback_type: 'PIPELINE' });
      const settings = await api.deploys.fetchProjectDeploySettings({ projectID: projectId });
      const [definition] = (await h.server.call('GET', `/api/v2/projects/${projectId}/pipeline-definitions`, h.token)).body.items;
      expect(settings).toEqual({ create_autogenerated_releases: false, rollback_pipeline_definition_id: definition.id });
    });

    it('usage: startUsageExportJob, then getUsageExportJobStatus until completed', async () => {
      const orgId = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body.organization_id;
      const end = new Date(Date.now() + 60_000).toISOString();
      const start = new Date(Date.now() - 86_400_000).toISOString();
      const started = await api.usage.startUsageExportJob(orgId, start, end);
      expect(started.usage_export_job_id).toMatch(/^[0-9a-f-]{36}$/);
      const done = await h.waitFor(async () => {
        const st = await api.usage.getUsageExportJobStatus(orgId, started.usage_export_job_id);
        return st.state === 'completed' ? st : undefined;
      }, 30_000, 'usage export completed');
      expect(done.download_urls.length).toBeGreaterThan(0);
    });

    it('every response the clients saw passes CircleCI spec (private routes excepted)', () => {
      expect(proxy.seen.length).toBeGreaterThan(14);
      const wrong = [...proxy.seen, ...v1proxy.seen].filter((s) => s.problems.length > 0 && !PRIVATE.test(s.path) && !BEYOND_SPEC(s));
      expect(wrong, JSON.stringify(wrong, null, 1)).toEqual([]);
      expect(proxy.seen.filter((s) => s.status >= 400)).toEqual([]);
    });
  });
}
