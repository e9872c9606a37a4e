// Attack: store_artifacts / store_test_results follow a symlink out of the job's working
// directory and upload /etc/passwd or all of /etc (issue 18, item 13). Real server, real
// embedded agent, host executor, SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { Harness } from '../agent/harness.ts';

const kind = databaseKinds()[0]!;

const CONFIG = `
version: 2.1
jobs:
  leak:
    machine: true
    steps:
      - run:
          name: links
          command: |
            mkdir -p art reports
            echo ok > art/ok.txt
            ln -s /etc/passwd art/passwd
            ln -s /etc art/etc
            ln -s ok.txt art/inside
            ln -s /etc/passwd top-passwd
            ln -s /etc top-etc
            ln -s /etc/hosts reports/hosts.xml
            echo '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>' > reports/r.xml
      - store_artifacts: {path: top-passwd}
      - store_artifacts: {path: top-etc}
      - store_artifacts: {path: art}
      - store_test_results: {path: top-etc}
      - store_test_results: {path: reports}
workflows: {main: {jobs: [leak]}}
`;

describe(`symlinks never lead out of the working directory (${kind.name})`, () => {
  let h: Harness;
  let embedded: EmbeddedAgent;
  beforeAll(async () => {
    h = await Harness.start(kind);
    embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger });
  });
  afterAll(async () => {
    await embedded?.stop(0);
    await h?.close();
  });

  it('a link to /etc/passwd and a link to /etc upload nothing of them; links inside are stored', async () => {
    const { slug } = await h.project(CONFIG);
    const id = await h.trigger(slug);
    await h.waitDone(id, 60_000);
    const { leak } = await h.jobs(id);
    const steps = leak!.tasks[0]!.steps;
    expect(steps.map((s) => s.status)).toEqual(['success', 'success', 'success', 'success', 'success', 'success', 'success']);
    expect(steps[2]!.output).toMatch(/top-passwd is a symbolic link to \/etc\/passwd, outside the job's working directory .*: skipped/);
    expect(steps[3]!.output).toMatch(/top-etc is a symbolic link to \/etc, outside the job's working directory/);
    expect(steps[4]!.output).toMatch(/art\/passwd is a symbolic link to \/etc\/passwd, outside/);
    expect(steps[4]!.output).toMatch(/art\/etc is a symbolic link to \/etc, outside/);
    expect(steps[5]!.output).toMatch(/top-etc is a symbolic link to \/etc/);
    expect(steps[6]!.output).toMatch(/reports\/hosts\.xml is a symbolic link to \/etc\/hosts, outside/);
    expect(steps[6]!.output).toContain('Stored 1 test result');
    const row = await h.server.database.db.selectFrom('jobs').select('number').where('id', '=', leak!.id).executeTakeFirstOrThrow();
    const arts = await h.server.call('GET', `/api/v2/project/${slug}/${row.number}/artifacts`, h.token);
    expect(arts.body.items.map((a: { path: string }) => a.path).sort()).toEqual(['art/inside', 'art/ok.txt']);
    const inside = arts.body.items.find((a: { path: string }) => a.path === 'art/inside');
    expect(await (await fetch(inside.url, { headers: { 'Circle-Token': h.token } })).text()).toBe('ok\n');
  });
});
