// The dashboard end to end in a real browser (Debian's chromium through playwright-core):
// a real server, a real git repository, the embedded agent and a real pipeline; then sign
// in, open a job from the API's web_url and watch its log arrive live, see a parallel run's
// tab with its secret masked, read a failed test,
// download an artifact, approve a hold, rerun from failed, add and delete an env var, a webhook, a
// deploy key, a schedule and a context variable, trigger a pipeline, see the
// insights chart, sign out. Screenshots go to a folder removed afterwards (kept and printed with CIRCLET_KEEP_SCREENSHOTS=1).
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { Harness } from '../agent/harness.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { CHROMIUM, launchBrowser, screenshotDir } from './chromium.ts';

const CONFIG = `
version: 2.1
jobs:
  slow:
    machine: true
    steps:
      - run:
          name: count slowly
          command: |
            mkdir -p out && echo "artifact body" > out/report.txt
            for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf '\\033[32mline %s\\033[0m\\n' "$i"; sleep 0.4; done
      - store_artifacts: {path: out/report.txt, destination: report.txt}
  unit:
    machine: true
    parallelism: 2
    steps:
      - run:
          name: tests
          command: |
            mkdir -p reports
            cat > reports/junit.xml <<'XML'
            <?xml version="1.0"?>
            <testsuite name="suite"><testcase classname="Math" name="adds" time="0.1"/><testcase classname="Math" name="divides" file="test/math.test.js" time="0.2"><failure message="expected 1 to equal 2">at math.test.js:3</failure></testcase></testsuite>
            XML
      - store_test_results: {path: reports}
      - run: {name: fail, command: 'echo "failing on purpose on node $CIRCLE_NODE_INDEX with $DEPLOY_TOKEN"; exit 1'}
  deploy:
    machine: true
    steps: [{run: {name: ship, command: 'echo shipped'}}]
workflows:
  main:
    jobs:
      - slow
      - unit
      - hold: {type: approval, requires: [slow]}
      - deploy: {requires: [hold]}
`;

const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.log(`test/web/browser.test.ts: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);
const kind = databaseKinds()[0]!;

describe.skipIf(!haveChromium)('dashboard in chromium', () => {
  let h: Harness;
  let agent: EmbeddedAgent;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let shots = '';
  let screenshots: ReturnType<typeof screenshotDir> | undefined;
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    screenshots = screenshotDir('dashboard');
    shots = screenshots.dir;
    h = await Harness.start(kind);
    agent = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 3, logger: silentLogger });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    screenshots?.done();
    await browser?.close();
    await agent?.stop(0);
    await h?.close();
  });

  it('signs in, follows a live job log, reads tests and artifacts, approves, reruns, edits settings, shows insights', async () => {
    const { slug } = await h.project(CONFIG, { env: { DEPLOY_TOKEN: 'hunter2-very-secret' } });
    const pipelineId = await h.trigger(slug);
    const api = (p: string) => h.server.call('GET', p, h.token).then((r) => r.body);
    const wf = await h.waitFor(async () => (await h.workflows(pipelineId))[0], 15_000, 'workflow');
    const jobs = async () => (await api(`/api/v2/workflow/${wf.id}/job`)).items as { name: string; status: string; job_number?: number }[];
    const slow = await h.waitFor(async () => (await jobs()).find((j) => j.name === 'slow' && j.status === 'running' && j.job_number), 20_000, 'slow job running');
    const details = await api(`/api/v2/project/${slug}/job/${slow.job_number}`);
    const webUrl = new URL(details.web_url as string);

    // An unsigned visit lands on sign-in and comes back to the page after.
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(webUrl.href);
    await page.waitForURL(/\/sign-in\?next=/);
    await shot(page, 'sign-in');
    await page.getByLabel('API token', { exact: true }).fill(h.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(webUrl.href);

    // Live output: a line appears while the job is still running, later lines follow.
    const log = page.getByRole('log');
    await log.getByText('line 2', { exact: true }).waitFor({ timeout: 15_000 });
    expect((await api(`/api/v2/project/${slug}/job/${slow.job_number}`)).status).toBe('running');
    await log.getByText('line 12', { exact: true }).waitFor({ timeout: 20_000 });
    expect(await log.locator('.ansi-green-fg').first().textContent()).toMatch(/^line \d+$/);
    await page.locator('h1 .status.s-success').waitFor({ timeout: 15_000 });
    await shot(page, 'job');

    // The token is kept nowhere in the page.
    expect(((await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie')) as string)).not.toContain(h.token);

    // Artifacts download.
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'report.txt' }).click()]);
    expect(fs.readFileSync((await download.path())!, 'utf8')).toBe('artifact body\n');

    // The failed test with its message, failures first.
    await h.waitFor(async () => (await jobs()).find((j) => j.name === 'unit' && j.status === 'failed'), 20_000, 'unit failed');
    const unit = (await jobs()).find((j) => j.name === 'unit')!;
    await page.goto(`${h.server.url}/pipelines/${slug}/1/workflows/${wf.id}/jobs/${unit.job_number}`);
    await page.getByRole('button', { name: /fail/ }).first().waitFor();
    await page.getByText('exit 1').waitFor();
    // One tab per parallel run; the secret in the output stays masked.
    await page.getByRole('tab', { name: 'Node 1' }).click();
    await page.getByText('failing on purpose on node 1 with').waitFor();
    expect(await page.content()).not.toContain('hunter2-very-secret');
    await page.getByRole('tab', { name: 'Tests' }).click();
    await page.getByText('expected 1 to equal 2').first().waitFor();
    expect(await page.locator('table.tests tbody tr').first().textContent()).toContain('divides');
    await shot(page, 'tests');

    // Approve the hold on the workflow graph; deploy then runs.
    await page.goto(`${h.server.url}/pipelines/${slug}/1/workflows/${wf.id}`);
    await page.locator('.node[data-job="hold"]').waitFor();
    await shot(page, 'workflow');
    await page.getByRole('button', { name: 'Approve hold' }).click();
    await h.waitFor(async () => (await jobs()).find((j) => j.name === 'deploy' && j.status === 'success'), 30_000, 'deploy success');
    await page.locator('.node.n-success[data-job="deploy"]').waitFor({ timeout: 10_000 });

    // Rerun from failed makes a new workflow and opens it.
    await page.getByRole('button', { name: 'Rerun from failed' }).click();
    await page.waitForURL((u) => u.pathname.includes('/workflows/') && !u.pathname.endsWith(wf.id));
    const rerunId = page.url().split('/workflows/')[1]!;
    expect((await api(`/api/v2/workflow/${rerunId}`)).name).toBe('main');
    await page.locator('.node[data-job="unit"]').waitFor();

    // Project settings: add an env var (masked), then delete it.
    await page.goto(`${h.server.url}/settings/project/${slug}`);
    await page.getByLabel('Name', { exact: true }).fill('DEPLOY_KEY');
    await page.getByLabel('Value', { exact: true }).fill('s3cr3t-value');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByRole('cell', { name: 'DEPLOY_KEY', exact: true }).waitFor();
    expect(await page.content()).not.toContain('s3cr3t-value');
    expect((await api(`/api/v2/project/${slug}/envvar`)).items.map((v: { name: string }) => v.name)).toEqual(['DEPLOY_KEY', 'DEPLOY_TOKEN']);
    await shot(page, 'settings');
    await page.getByRole('button', { name: 'Delete DEPLOY_KEY' }).click();
    await page.getByRole('cell', { name: 'DEPLOY_KEY', exact: true }).waitFor({ state: 'detached' });
    expect((await api(`/api/v2/project/${slug}/envvar`)).items.map((v: { name: string }) => v.name)).toEqual(['DEPLOY_TOKEN']);

    // An outbound webhook, added and deleted.
    await page.getByLabel('Webhook name').fill('chat');
    await page.getByLabel('URL').fill('http://127.0.0.1:9/hook');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByRole('button', { name: 'Delete webhook chat' }).click();
    await page.getByText('No webhooks').waitFor();

    // A deploy key, added (the page shows its public half only) and deleted.
    await page.getByText('No checkout keys').waitFor();
    await page.getByRole('button', { name: 'Add deploy key' }).click();
    const [key] = (await api(`/api/v2/project/${slug}/checkout-key`)).items as { fingerprint: string }[];
    await page.getByRole('button', { name: `Delete key ${key!.fingerprint}` }).waitFor();
    expect(await page.content()).not.toContain('PRIVATE KEY');
    await page.getByRole('button', { name: `Delete key ${key!.fingerprint}` }).click();
    await page.getByText('No checkout keys').waitFor();

    // A schedule, created from the form and deleted.
    await page.getByLabel('Schedule name').fill('nightly');
    await page.getByLabel('Schedule branch').fill('main');
    await page.getByLabel('Runs per hour').fill('2');
    await page.getByLabel('Hours (UTC)').fill('1-3, 22');
    await page.getByLabel('MON').check();
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByText('2×/hour at 1, 2, 3, 22 UTC on MON').waitFor();
    const [sched] = (await api(`/api/v2/project/${slug}/schedule`)).items;
    expect(sched).toMatchObject({ name: 'nightly', parameters: { branch: 'main' }, timetable: { 'per-hour': 2, 'hours-of-day': [1, 2, 3, 22], 'days-of-week': ['MON'] } });
    await page.getByRole('button', { name: 'Delete schedule nightly' }).click();
    await page.getByText('No schedules').waitFor();

    // Insights: the chart of the finished workflow.
    await page.goto(`${h.server.url}/insights/${slug}`);
    await page.locator('.chart canvas').first().waitFor({ timeout: 15_000 });
    await shot(page, 'insights');

    // Organization contexts: create one, add a variable, delete it.
    await page.goto(`${h.server.url}/organization/gh/acme/contexts`);
    await page.getByText('No contexts').waitFor();
    await page.getByLabel('Context name').fill('deploy');
    await page.getByRole('button', { name: 'Create context' }).click();
    await page.getByRole('heading', { name: /deploy/ }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('AWS_KEY');
    await page.getByLabel('Value', { exact: true }).fill('ctx-secret');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByRole('button', { name: 'Delete AWS_KEY' }).waitFor();
    expect(await page.content()).not.toContain('ctx-secret');
    await page.getByRole('button', { name: 'Delete AWS_KEY' }).click();
    await page.getByText('No variables in this context yet.').waitFor();

    // The pipeline list; Trigger pipeline with a branch opens the new pipeline.
    await page.goto(`${h.server.url}/pipelines/${slug}`);
    await page.locator('tr.pipeline-row').first().waitFor();
    await shot(page, 'pipelines');
    await page.getByRole('button', { name: 'Trigger pipeline' }).click();
    await page.locator('form.trigger').getByLabel('Branch').fill('main');
    await page.getByRole('button', { name: 'Run pipeline' }).click();
    await page.waitForURL(`${h.server.url}/pipelines/${slug}/2`);
    await page.getByRole('heading', { name: 'Pipeline 2' }).waitFor();
    expect((await api(`/api/v2/project/${slug}/pipeline/2`)).vcs.branch).toBe('main');

    // Projects: the project with its default branch's latest pipeline.
    await page.goto(`${h.server.url}/`);
    const row = page.locator('ul.projects li', { has: page.getByRole('link', { name: slug.split('/').slice(1).join('/') }) });
    await row.getByText('#2 main').waitFor();
    await shot(page, 'projects');

    // Sign out: the old cookie no longer opens the API.
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'circlet_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    expect((await h.server.call('GET', '/api/v2/me', undefined, undefined, { cookie: `circlet_session=${cookie.value}` })).status).toBe(401);
  });
});
