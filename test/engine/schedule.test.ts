// Scheduled pipelines end to end, on a real git repository, with an injected clock: the
// scheduler triggers each due run exactly once (also with two engines ticking concurrently on
// one database), never at a time the timetable does not select, and once (not a burst) after
// downtime; a run whose claiming replica died is triggered by another once the claim lapses,
// never twice; the pipelines carry `scheduled_pipeline` and the `pipeline.schedule.*` values.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/server/instance.ts';
import { claimDueRun, runDueSchedules, SCHEDULE_CLAIM_MS, triggerRun } from '../../src/engine/services/scheduler.ts';
import { nextRuns, type Timetable } from '../../src/domain/timetable.ts';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';
import { dueSchedules, getSchedule } from '../../src/storage/schedules.ts';
import { databaseKinds, tempDir, type TestDatabaseKind } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `version: 2.1
parameters:
  deploy:
    type: boolean
    default: false
jobs:
  build:
    machine: true
    steps:
      - run: echo deploy=<< pipeline.parameters.deploy >> schedule=<< pipeline.schedule.name >>
workflows:
  main:
    jobs: [build]
`;

const SLUG = 'gh/acme/app';
/** A Monday. */
const START = new Date('2026-11-02T00:00:00.000Z');

for (const kind of databaseKinds()) {
  describe(`scheduled pipelines (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let url = '';
    let repo: TestRepo;
    let clock = START;
    const tick = () => runDueSchedules(server.engine.deps);

    beforeAll(async () => {
      const capturing: TestDatabaseKind = {
        ...kind,
        async create() {
          const made = await kind.create();
          url = made.url;
          return made;
        },
      };
      // The background scheduler is left idle (a long interval): the tests tick explicitly.
      server = await startTestServer(capturing, { now: () => clock, scheduleIntervalMs: 3_600_000 });
      ({ token } = await server.user('alice', 'acme'));
      repo = makeRepo(CONFIG);
      repo.tag('v1');
      repo.branch('nightly');
      repo.commit({ 'README.md': 'nightly' }, 'nightly change');
      repo.checkout('main');
      await server.project(SLUG, repo.dir);
    });
    afterAll(async () => {
      await server?.close();
      fs.rmSync(repo.dir, { recursive: true, force: true });
    });

    async function pipelines(slug = SLUG): Promise<any[]> {
      const out: any[] = [];
      let pageToken: string | null = null;
      do {
        const res = await server.call('GET', `/api/v2/project/${slug}/pipeline${pageToken ? `?page-token=${pageToken}` : ''}`, token);
        expect(res.status, res.text).toBe(200);
        out.push(...res.body.items);
        pageToken = res.body.next_page_token;
      } while (pageToken);
      return out;
    }

    async function createSchedule(body: Record<string, unknown>, slug = SLUG): Promise<any> {
      const res = await server.call('POST', `/api/v2/project/${slug}/schedule`, token, body);
      expect(res.status, res.text).toBe(201);
      return res.body;
    }

    it('triggers each due run exactly once, with the schedule values, branch and parameters', async () => {
      clock = START;
      const timetable: Timetable = { 'per-hour': 2, 'hours-of-day': [1], 'days-of-week': ['MON'] };
      const schedule = await createSchedule({
        name: 'nightly build',
        'attribution-actor': 'current',
        parameters: { branch: 'nightly', deploy: true },
        timetable,
      });
      const [first, second, third] = nextRuns(timetable, START, schedule.id, 3);
      expect(first!.getUTCHours()).toBe(1);
      expect(third!.getUTCDate()).toBe(9); // the next Monday

      clock = new Date(first!.getTime() - 1);
      expect(await tick()).toBe(0);
      clock = first!;
      expect(await tick()).toBe(1);
      expect(await tick()).toBe(0);
      clock = new Date(second!.getTime() + 1000);
      expect(await tick()).toBe(1);
      expect(await tick()).toBe(0);

      const list = await pipelines();
      expect(list).toHaveLength(2);
      for (const p of list) {
        expect(p.trigger.type).toBe('scheduled_pipeline');
        expect(p.trigger.actor.login).toBe('alice');
        expect(p.vcs.branch).toBe('nightly');
        expect(p.state).toBe('created');
      }
      const values = (await server.call('GET', `/api/v2/pipeline/${list[0].id}/values`, token)).body;
      expect(values['pipeline.schedule.name']).toBe('nightly build');
      expect(values['pipeline.schedule.id']).toBe(schedule.id);
      expect(values['pipeline.trigger_source']).toBe('scheduled_pipeline');
      expect(values['pipeline.git.branch']).toBe('nightly');
      const config = (await server.call('GET', `/api/v2/pipeline/${list[0].id}/config`, token)).body;
      expect(config.compiled).toContain('echo deploy=true schedule=nightly build');

      // Three weeks of downtime: one run on return, not one per missed run.
      clock = new Date(third!.getTime() + 21 * 86_400_000);
      expect(await tick()).toBe(1);
      expect(await tick()).toBe(0);
      expect(await pipelines()).toHaveLength(3);
      const stored = await getSchedule(server.database.db, schedule.id);
      expect(Date.parse(stored!.next_run_at!)).toBeGreaterThan(clock.getTime());

      // Run as the system, on a tag.
      const patched = await server.call('PATCH', `/api/v2/schedule/${schedule.id}`, token, { 'attribution-actor': 'system', parameters: { tag: 'v1' } });
      expect(patched.status, patched.text).toBe(200);
      clock = new Date(Date.parse(stored!.next_run_at!));
      expect(await tick()).toBe(1);
      const latest = (await pipelines())[0];
      expect(latest.trigger.type).toBe('scheduled_pipeline');
      expect(latest.trigger.actor.login).toBe('system');
      expect(latest.vcs.tag).toBe('v1');
      expect(latest.vcs.branch).toBeUndefined();

      // A deleted schedule triggers nothing more.
      expect((await server.call('DELETE', `/api/v2/schedule/${schedule.id}`, token)).status).toBe(200);
      clock = new Date(clock.getTime() + 30 * 86_400_000);
      expect(await tick()).toBe(0);
      expect(await pipelines()).toHaveLength(4);
    });

    it('a run claimed by a replica that died before triggering it is triggered by another after the claim lapses, never twice', async () => {
      const slug = 'gh/acme/crashy';
      await server.project(slug, repo.dir);
      clock = new Date('2026-12-14T05:00:00.000Z'); // a Monday
      const timetable: Timetable = { 'per-hour': 1, 'hours-of-day': [6], 'days-of-week': ['MON'] };
      const schedule = await createSchedule({ name: 'crashy', 'attribution-actor': 'system', parameters: { branch: 'main' }, timetable }, slug);
      const due = nextRuns(timetable, clock, schedule.id, 1)[0]!;
      clock = due;

      // Replica "A" claims the run and dies before triggering it (it only claims here).
      const [row] = (await dueSchedules(server.database.db, due.toISOString(), 50)).filter((d) => d.id === schedule.id);
      const dead = (await claimDueRun(server.engine.deps, row!, clock))!;
      expect(dead).toBeDefined();

      const otherDb: Database = await openAndMigrate(url);
      const otherDir = tempDir('circlet-replica-');
      const other = createEngine({ database: otherDb, secrets: server.secrets, dataDir: otherDir, baseUrl: server.url, engine: { now: () => clock, scheduleIntervalMs: 3_600_000 } });
      try {
        // While the claim holds, nobody else triggers it.
        clock = new Date(due.getTime() + SCHEDULE_CLAIM_MS - 1_000);
        expect(await runDueSchedules(other.deps)).toBe(0);
        expect(await pipelines(slug)).toHaveLength(0);
        // Once it lapsed, one of two replicas racing takes it over, and it runs once.
        clock = new Date(due.getTime() + SCHEDULE_CLAIM_MS + 1_000);
        const counts = await Promise.all([runDueSchedules(other.deps), tick(), runDueSchedules(other.deps)]);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
        expect(await pipelines(slug)).toHaveLength(1);
        // The first replica coming back to life cannot trigger it a second time.
        expect(await triggerRun(server.engine.deps, dead)).toBe(false);
        clock = new Date(clock.getTime() + 10 * SCHEDULE_CLAIM_MS);
        expect(await Promise.all([tick(), runDueSchedules(other.deps)])).toEqual([0, 0]);
        const list = await pipelines(slug);
        expect(list).toHaveLength(1);
        expect(list[0].trigger.type).toBe('scheduled_pipeline');
      } finally {
        other.stop();
        await otherDb.close();
        fs.rmSync(otherDir, { recursive: true, force: true });
      }
    });

    it('two engines ticking concurrently on one database trigger each due run once', async () => {
      const slug = 'gh/acme/busy';
      await server.project(slug, repo.dir);
      clock = new Date('2026-12-07T05:00:00.000Z'); // a Monday
      const timetable: Timetable = { 'per-hour': 60, 'hours-of-day': [5], 'days-of-week': ['MON'] };
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await createSchedule({ name: `busy-${i}`, 'attribution-actor': 'system', parameters: { branch: 'main' }, timetable }, slug)).id);

      const otherDb: Database = await openAndMigrate(url);
      const otherDir = tempDir('circlet-replica-');
      const other = createEngine({ database: otherDb, secrets: server.secrets, dataDir: otherDir, baseUrl: server.url, engine: { now: () => clock, scheduleIntervalMs: 3_600_000 } });
      try {
        const MINUTES = 5;
        let triggered = 0;
        for (let m = 1; m <= MINUTES; m++) {
          // Each minute of hour 5 holds exactly one run of every schedule.
          clock = new Date(Date.parse('2026-12-07T05:00:00.000Z') + m * 60_000);
          const counts = await Promise.all([tick(), runDueSchedules(other.deps), tick(), runDueSchedules(other.deps)]);
          triggered += counts.reduce((a, b) => a + b, 0);
        }
        expect(triggered).toBe(ids.length * MINUTES);
        const list = await pipelines(slug);
        expect(list).toHaveLength(ids.length * MINUTES);
        const perSchedule = new Map<string, number>();
        for (const p of list) {
          const values = (await server.call('GET', `/api/v2/pipeline/${p.id}/values`, token)).body;
          expect(p.trigger.type).toBe('scheduled_pipeline');
          const id = values['pipeline.schedule.id'] as string;
          perSchedule.set(id, (perSchedule.get(id) ?? 0) + 1);
        }
        expect(Object.fromEntries(perSchedule)).toEqual(Object.fromEntries(ids.map((id) => [id, MINUTES])));
      } finally {
        other.stop();
        await otherDb.close();
        fs.rmSync(otherDir, { recursive: true, force: true });
      }
    });
  });
}

describe('the engine starts the scheduler', () => {
  const kind = databaseKinds()[0]!;
  let server: TestServer;
  let repo: TestRepo;
  let clock = new Date('2026-11-02T09:00:00.000Z');

  beforeAll(async () => {
    server = await startTestServer(kind, { now: () => clock, scheduleIntervalMs: 20 });
    repo = makeRepo(CONFIG);
    await server.project(SLUG, repo.dir);
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(repo.dir, { recursive: true, force: true });
  });

  it('a due schedule is triggered by the background tick', async () => {
    const { token } = await server.user('bob', 'acme');
    const timetable: Timetable = { 'per-hour': 1, 'hours-of-day': [10], 'days-of-week': ['MON'] };
    const res = await server.call('POST', `/api/v2/project/${SLUG}/schedule`, token, { name: 'hourly', 'attribution-actor': 'current', parameters: { branch: 'main' }, timetable });
    expect(res.status, res.text).toBe(201);
    await new Promise((r) => setTimeout(r, 200));
    expect((await server.call('GET', `/api/v2/project/${SLUG}/pipeline`, token)).body.items).toHaveLength(0);
    clock = nextRuns(timetable, clock, res.body.id, 1)[0]!;
    const deadline = Date.now() + 10_000;
    let items: any[] = [];
    while (Date.now() < deadline) {
      items = (await server.call('GET', `/api/v2/project/${SLUG}/pipeline`, token)).body.items;
      if (items.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(items).toHaveLength(1);
    expect(items[0].trigger.type).toBe('scheduled_pipeline');
    expect(items[0].trigger.actor.login).toBe('bob');
  });
});
