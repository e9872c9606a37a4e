// The dashboard's feel in a real browser (Debian's chromium through playwright-core): the
// pipeline list pages with Older/Newer, a 100,000-line step log opens fast and keeps only
// what is on screen in the page, a token is made and revoked on the tokens page, the system's
// dark preference is honoured, and a phone-width
// window needs no sideways scrolling. Screenshots go to a folder removed afterwards (kept and printed with CIRCLET_KEEP_SCREENSHOTS=1).
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { Harness } from '../agent/harness.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { CHROMIUM, launchBrowser, screenshotDir } from './chromium.ts';

const LINES = 100_000;

const LONG_LOG = `
version: 2.1
jobs:
  chatty:
    machine: true
    steps:
      - run: {name: talk, command: 'seq 1 ${LINES} | sed "s/^/log line /"'}
workflows: {main: {jobs: [chatty]}}
`;

// Pipelines on main start no workflow (the only job runs on release branches): cheap to make many.
const QUIET = `
version: 2.1
jobs:
  j: {machine: true, steps: [{run: 'true'}]}
workflows: {main: {jobs: [{j: {filters: {branches: {only: release}}}}]}}
`;

const haveChromium = fs.existsSync(CHROMIUM);
const kind = databaseKinds()[0]!;

describe.skipIf(!haveChromium)('dashboard layout and scale in chromium', () => {
  let h: Harness;
  let agent: EmbeddedAgent;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let shots = '';
  let screenshots: ReturnType<typeof screenshotDir> | undefined;
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });

  beforeAll(async () => {
    screenshots = screenshotDir('layout');
    shots = screenshots.dir;
    h = await Harness.start(kind);
    agent = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 2, logger: silentLogger });
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${h.server.url}/sign-in`);
    await page.getByLabel('API token', { exact: true }).fill(h.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.server.url}/`);
  }, 60_000);
  afterAll(async () => {
    screenshots?.done();
    await browser?.close();
    await agent?.stop(0);
    await h?.close();
  });

  it('pages the pipeline list: 20 a page, Older and Newer', async () => {
    const { slug } = await h.project(QUIET);
    for (let i = 0; i < 23; i++) await h.trigger(slug);
    await page.goto(`${h.server.url}/pipelines/${slug}`);
    const rows = page.locator('tr.pipeline-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(20);
    expect(await rows.first().getByRole('link', { name: '#23' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByRole('link', { name: '#3', exact: true }).waitFor();
    expect(await rows.count()).toBe(3);
    expect(await page.getByRole('button', { name: 'Older' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByRole('link', { name: '#23', exact: true }).waitFor();
    expect(await rows.count()).toBe(20);
  });

  it('opens a 100,000-line log fast at its tail and keeps only the lines on screen in the page', async () => {
    const { slug } = await h.project(LONG_LOG);
    const pipelineId = await h.trigger(slug);
    await h.waitDone(pipelineId, 120_000);
    const [wf] = await h.workflows(pipelineId);
    const job = (await h.server.call('GET', `/api/v2/workflow/${wf!.id}/job`, h.token)).body.items[0];
    const t0 = Date.now();
    await page.goto(`${h.server.url}/pipelines/${slug}/1/workflows/${wf!.id}/jobs/${job.job_number}`);
    // The step's log (the second, after Spin up environment) follows its tail.
    const log = page.getByRole('log').nth(1);
    await log.getByText(`log line ${LINES}`, { exact: true }).waitFor({ timeout: 30_000 });
    const openMs = Date.now() - t0;
    console.log(`100,000-line log: last line painted ${openMs} ms after navigation`);
    expect(openMs).toBeLessThan(15_000);
    // Only a window of lines is in the DOM, not 100,000 of them.
    const inPage = await log.evaluate((el) => (el.textContent?.match(/log line \d+/g) ?? []).length);
    expect(inPage).toBeGreaterThan(10);
    expect(inPage).toBeLessThan(2_000);
    await shot('long-log');
    // Scrolling to the top shows the first line.
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await log.getByText('log line 1', { exact: true }).waitFor({ timeout: 10_000 });
  });

  it('creates a token (shown once, and working), lists it, and revokes it', async () => {
    await page.goto(`${h.server.url}/`);
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.waitForURL(`${h.server.url}/settings/user/tokens`);
    await page.getByLabel('Token label').fill('deploy bot');
    await page.getByRole('button', { name: 'Create token' }).click();
    const made = (await page.getByLabel('New token').textContent())!.trim();
    expect((await h.server.call('GET', '/api/v2/me', made)).body.login).toBe('alice');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(made);
    await shot('tokens');
    await page.getByRole('button', { name: 'Revoke deploy bot' }).click();
    await page.getByRole('cell', { name: 'deploy bot', exact: true }).waitFor({ state: 'detached' });
    expect((await h.server.call('GET', '/api/v2/me', made)).status).toBe(401);
  });

  it('honours the system dark preference', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${h.server.url}/`);
    await page.locator('header.top').waitFor();
    const bodyColour = 'getComputedStyle(document.body).backgroundColor';
    const light = await page.evaluate(bodyColour);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate(bodyColour);
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).toBe('rgb(13, 17, 23)');
    await shot('projects-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('reads at phone width without sideways scrolling', async () => {
    const { slug } = await h.project(QUIET);
    await h.trigger(slug);
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      for (const p of [`/pipelines/${slug}`, `/settings/project/${slug}`, '/']) {
        await page.goto(`${h.server.url}${p}`);
        await page.locator('main h1, main h2').first().waitFor();
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
        expect(overflow, `${p} is wider than the phone`).toBeLessThanOrEqual(0);
      }
      await page.goto(`${h.server.url}/pipelines/${slug}`);
      await page.locator('tr.pipeline-row').first().waitFor();
      await shot('pipelines-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });
});
