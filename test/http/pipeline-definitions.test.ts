// Pipeline definitions and triggers end to end, on a real git repository over real HTTP: a
// second definition reads `.circleci/deploy.yml`; its trigger fires on the project's forge
// webhook (GitHub deliveries) for tags only, with its own parameters, beside the default
// definition's trigger; `pipeline/run` with its definition_id runs its config; a disabled
// trigger fires nothing; a schedule naming the definition runs its file.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triggerFires } from '../../src/engine/pipeline/trigger-match.ts';
import { runDueSchedules } from '../../src/engine/services/scheduler.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { updateSchedule } from '../../src/storage/schedules.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CONFIG = 'version: 2.1\njobs:\n  build:\n    machine: true\n    steps: [{run: echo build}]\nworkflows:\n  main:\n    jobs: [build]\n';
const DEPLOY =
  'version: 2.1\nparameters:\n  target: {type: string, default: staging}\njobs:\n  ship:\n    machine: true\n    steps: [{run: "echo ship to << pipeline.parameters.target >>"}]\n' +
  'workflows:\n  deploy:\n    jobs:\n      - ship: {filters: {tags: {only: /.*/}}}\n';
const hmac = (secret: string, body: string) => crypto.createHmac('sha256', secret).update(body).digest('hex');

describe('trigger matching', () => {
  const t = (event_preset: string | null, filters = {}) => ({ event_preset, filters: JSON.stringify(filters) });
  it('presets choose pushes, tags, the default branch and pull requests', () => {
    expect(triggerFires(t(null), { tag: 'v1' }, 'main')).toBe(true);
    expect(triggerFires(t('only-tags'), { branch: 'main' }, 'main')).toBe(false);
    expect(triggerFires(t('only-tags'), { tag: 'v1' }, 'main')).toBe(true);
    expect(triggerFires(t('default-branch-pushes'), { branch: 'main' }, 'main')).toBe(true);
    expect(triggerFires(t('default-branch-pushes'), { branch: 'dev' }, 'main')).toBe(false);
    expect(triggerFires(t('all-pushes'), { branch: 'dev', review: { id: '1' } }, 'main')).toBe(false);
    expect(triggerFires(t('only-open-prs'), { branch: 'dev', review: { id: '1' } }, 'main')).toBe(true);
    expect(triggerFires(t('only-build-prs'), { branch: 'main' }, 'main')).toBe(true);
    expect(triggerFires(t('only-build-prs'), { branch: 'dev' }, 'main')).toBe(false);
    expect(triggerFires(t('only-labeled-prs'), { branch: 'dev', review: { id: '1' } }, 'main')).toBe(false);
  });
  it('filters match branches and tags as a job filter does', () => {
    const f = t(null, { branches: { only: ['main', '/release-.*/'] } });
    expect(triggerFires(f, { branch: 'release-2' }, 'main')).toBe(true);
    expect(triggerFires(f, { branch: 'dev' }, 'main')).toBe(false);
    expect(triggerFires(f, { tag: 'v1' }, 'main')).toBe(false);
    expect(triggerFires(t(null, { tags: { ignore: '/^wip-.*/' } }), { tag: 'v1' }, 'main')).toBe(true);
  });
});

for (const kind of databaseKinds()) {
  describe(`pipeline definitions and triggers (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let repo: TestRepo;
    let secret: string;
    let projectId: string;
    let deployDefinition: string;
    let deployTrigger: string;
    const slug = 'gh/acme/defs';

    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      repo = makeRepo();
      repo.commit({ '.circleci/config.yml': CONFIG, '.circleci/deploy.yml': DEPLOY }, 'initial');
      await server.project(slug, repo.dir);
      secret = (await server.call('GET', `/api/v2/project/${slug}/incoming-webhooks`, token)).body.secret;
      projectId = (await server.call('GET', `/api/v2/project/${slug}`, token)).body.id;
    });
    afterAll(async () => server?.close());

    const push = async (ref: string, sha: string) => {
      const body = JSON.stringify({ ref, after: sha, repository: { clone_url: 'https://github.com/acme/defs.git' } });
      return server.call('POST', `/hooks/github?project=${slug}`, undefined, body, {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-hub-signature-256': `sha256=${hmac(secret, body)}`,
      });
    };
    const workflowsOf = async (pipelineId: string) => ((await server.call('GET', `/api/v2/pipeline/${pipelineId}/workflow`, token)).body.items as any[]).map((w) => w.name);

    it('creates a second definition and a tags-only trigger with its own parameters', async () => {
      const d = await server.call('POST', `/api/v2/projects/${projectId}/pipeline-definitions`, token, {
        name: 'deploy',
        config_source: { provider: 'github_app', repo: { external_id: projectId }, file_path: '.circleci/deploy.yml' },
        checkout_source: { provider: 'github_app', repo: { external_id: projectId } },
      });
      expect(d.status, d.text).toBe(200);
      deployDefinition = d.body.id;
      const t = await server.call('POST', `/api/v2/projects/${projectId}/pipeline-definitions/${deployDefinition}/triggers`, token, {
        event_source: { provider: 'github_app' },
        event_preset: 'only-tags',
        parameters: { target: 'production' },
      });
      expect(t.status, t.text).toBe(200);
      deployTrigger = t.body.id;
      const list = await server.call('GET', `/api/v2/projects/${projectId}/pipeline-definitions`, token);
      expect(list.body.items.map((x: any) => x.config_source.file_path)).toEqual(['.circleci/config.yml', '.circleci/deploy.yml']);
    });

    it('a branch push fires only the default definition', async () => {
      const res = await push('refs/heads/main', repo.git('rev-parse', 'HEAD'));
      expect(res.status, res.text).toBe(201);
      expect(res.body.pipelines).toHaveLength(1);
      expect(await workflowsOf(res.body.pipelines[0].id)).toEqual(['main']);
    });

    it("a tag push fires both triggers; the second runs deploy.yml with the trigger's parameters", async () => {
      repo.tag('v1.0.0');
      const res = await push('refs/tags/v1.0.0', repo.git('rev-parse', 'HEAD'));
      expect(res.status, res.text).toBe(201);
      expect(res.body.pipelines).toHaveLength(2);
      const names = await Promise.all(res.body.pipelines.map((p: any) => workflowsOf(p.id)));
      // The default config's `main` workflow has no tag filter: nothing runs for the tag there.
      expect(names).toEqual([[], ['deploy']]);
      const deploy = (await server.call('GET', `/api/v2/pipeline/${res.body.pipelines[1].id}`, token)).body;
      expect(deploy.vcs.tag).toBe('v1.0.0');
      expect(deploy.trigger.type).toBe('webhook');
      const config = (await server.call('GET', `/api/v2/pipeline/${deploy.id}/config`, token)).body;
      expect(config.source).toContain('pipeline.parameters.target');
      const agent = new ScriptedAgent({ url: server.url, token: await createRunnerToken(server.database.db, 'defs') });
      const ran = (await agent.drain()).filter((t) => t.pipeline.id === deploy.id);
      expect(ran.map((t) => t.job.name)).toEqual(['ship']);
      const step = ran[0]!.job.config.steps.find((s) => s.kind === 'run') as { command: string };
      expect(step.command).toBe('echo ship to production');
    });

    it('pipeline/run with the definition_id runs that definition’s config file', async () => {
      const res = await server.call('POST', `/api/v2/project/${slug}/pipeline/run`, token, { definition_id: deployDefinition, parameters: { target: 'qa' } });
      expect(res.status, res.text).toBe(201);
      const config = (await server.call('GET', `/api/v2/pipeline/${res.body.id}/config`, token)).body;
      expect(config.source).toBe(DEPLOY);
      const plain = await server.call('POST', `/api/v2/project/${slug}/pipeline/run`, token, {});
      expect((await server.call('GET', `/api/v2/pipeline/${plain.body.id}/config`, token)).body.source).toBe(CONFIG);
    });

    it('a definition whose file is missing errors its pipeline, naming the file', async () => {
      await server.call('PATCH', `/api/v2/projects/${projectId}/pipeline-definitions/${deployDefinition}`, token, { config_source: { file_path: '.circleci/absent.yml' } });
      repo.tag('v1.0.1');
      const res = await push('refs/tags/v1.0.1', repo.git('rev-parse', 'HEAD'));
      const p = (await server.call('GET', `/api/v2/pipeline/${res.body.pipelines[1].id}`, token)).body;
      expect(p.state).toBe('errored');
      expect(p.errors[0].message).toMatch(/\.circleci\/absent\.yml/);
      await server.call('PATCH', `/api/v2/projects/${projectId}/pipeline-definitions/${deployDefinition}`, token, { config_source: { file_path: '.circleci/deploy.yml' } });
    });

    it("config_ref reads the definition's file at another ref than the one built", async () => {
      const main = repo.git('rev-parse', 'HEAD');
      repo.branch('cfg');
      repo.commit({ '.circleci/deploy.yml': DEPLOY.replace('echo ship to', 'echo shipping from cfg to') }, 'config elsewhere');
      repo.checkout('main');
      const t = await server.call('POST', `/api/v2/projects/${projectId}/pipeline-definitions/${deployDefinition}/triggers`, token, {
        event_source: { provider: 'github_app' },
        event_preset: 'default-branch-pushes',
        config_ref: 'cfg',
      });
      expect(t.status, t.text).toBe(200);
      const res = await push('refs/heads/main', main);
      expect(res.body.pipelines).toHaveLength(2); // the default trigger's and this one's
      const p = (await server.call('GET', `/api/v2/pipeline/${res.body.pipelines[1].id}`, token)).body;
      expect(p.vcs).toMatchObject({ branch: 'main', revision: main });
      expect((await server.call('GET', `/api/v2/pipeline/${p.id}/config`, token)).body.source).toContain('echo shipping from cfg to');
      expect((await server.call('DELETE', `/api/v2/projects/${projectId}/triggers/${t.body.id}`, token)).status).toBe(200);
    });

    it("a schedule naming the definition runs its config file with the schedule's parameters", async () => {
      const timetable = { 'per-hour': 1, 'hours-of-day': [3], 'days-of-week': ['MON'] };
      const bad = await server.call('POST', `/api/v2/project/${slug}/schedule`, token, {
        name: 'nope', timetable, 'attribution-actor': 'system', parameters: { branch: 'main' }, 'definition-id': '00000000-0000-4000-8000-000000000000',
      });
      expect(bad.status).toBe(404);
      const created = await server.call('POST', `/api/v2/project/${slug}/schedule`, token, {
        name: 'nightly deploy', timetable, 'attribution-actor': 'system', parameters: { branch: 'main', target: 'nightly' }, 'definition-id': deployDefinition,
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body['definition-id']).toBe(deployDefinition);
      await updateSchedule(server.database.db, created.body.id, { next_run_at: new Date(Date.now() - 1000).toISOString() });
      // This tick, or the server's own scheduler if it got there first, triggers it (once).
      await runDueSchedules(server.engine.deps);
      let scheduled: any;
      for (let i = 0; i < 100 && !scheduled; i++) {
        const items = (await server.call('GET', `/api/v2/project/${slug}/pipeline`, token)).body.items as any[];
        scheduled = items.find((p) => p.trigger.type === 'scheduled_pipeline');
        if (!scheduled) await new Promise((r) => setTimeout(r, 100));
      }
      expect(scheduled).toBeDefined();
      expect((await server.call('GET', `/api/v2/pipeline/${scheduled.id}/config`, token)).body.source).toBe(DEPLOY);
      expect(await workflowsOf(scheduled.id)).toEqual(['deploy']);
      // Back to the default config.
      const cleared = await server.call('PATCH', `/api/v2/schedule/${created.body.id}`, token, { 'definition-id': null });
      expect(cleared.status, cleared.text).toBe(200);
      expect(cleared.body['definition-id']).toBeUndefined();
      await server.call('DELETE', `/api/v2/schedule/${created.body.id}`, token);
    });

    it('disabled triggers fire nothing', async () => {
      const defaults = await server.call('GET', `/api/v2/projects/${projectId}/pipeline-definitions`, token);
      const def = defaults.body.items[0].id;
      const triggers = (await server.call('GET', `/api/v2/projects/${projectId}/pipeline-definitions/${def}/triggers`, token)).body.items;
      for (const id of [triggers[0].id, deployTrigger]) {
        const res = await server.call('PATCH', `/api/v2/projects/${projectId}/triggers/${id}`, token, { disabled: true });
        expect(res.status, res.text).toBe(200);
      }
      repo.tag('v2.0.0');
      const res = await push('refs/tags/v2.0.0', repo.git('rev-parse', 'HEAD'));
      expect(res.status, res.text).toBe(200);
      expect(res.body.pipelines).toEqual([]);
      expect(res.body.message).toMatch(/no trigger/);
    });
  });
}
