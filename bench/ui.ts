// Dashboard load benchmark in Debian's chromium (playwright-core): time from navigation to
// the pipeline list's first row painted and to a job page's first log line, cold (a fresh
// browser profile, nothing cached) and warm (the same tab again), beside an empty static
// page from the same server; with the asset sizes.
//
//   npm run bench:ui              (BENCH_RUNS=5 by default; the median is printed)
//
// Runs a real server in this process on a fresh SQLite database with the embedded agent and
// one finished pipeline (a git repository in a temp dir). Target: a cold pipeline list under
// 1 s and JS+CSS under 300 KB gzipped; exits 1 when one is missed.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium, type BrowserContext } from 'playwright-core';
import { silentLogger } from '../src/agent/logger.ts';
import { createSecretBox } from '../src/domain/secret-box.ts';
import { startEmbeddedAgent } from '../src/server/embedded-agent.ts';
import { createInstance } from '../src/server/instance.ts';
import { openAndMigrate } from '../src/storage/db.ts';
import { addMember, ensureOrganization } from '../src/storage/organizations.ts';
import { createProject } from '../src/storage/projects.ts';
import { createApiToken, ensureUser } from '../src/storage/users.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const CONFIG = `version: 2.1
jobs:
  build:
    machine: true
    steps: [{run: {name: say, command: 'for i in $(seq 1 2000); do echo "line $i"; done'}}]
workflows: {main: {jobs: [build]}}
`;

/** Page script: records when the first element matching the selector is painted (ms since navigation start). */
const firstPaintOf = (selector: string) => `(() => {
  const check = () => {
    if (window.__painted === undefined && document.querySelector(${JSON.stringify(selector)})) {
      window.__painted = -1;
      requestAnimationFrame(() => setTimeout(() => (window.__painted = performance.now()), 0));
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`bench:ui: ${CHROMIUM} is not installed (apt-get install chromium)`);
    process.exit(1);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-ui-'));
  const database = await openAndMigrate(`sqlite:${path.join(tmp, 'circlet.db')}`);
  const secrets = createSecretBox(crypto.randomBytes(32));
  const { url, close } = await createInstance({
    database,
    secrets,
    dataDir: tmp,
    // The floor: an empty static page from the same server.
    extend: (app) => {
      app.get('/bench/empty', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html').send('<!doctype html><title>empty</title><p>empty</p>'));
    },
  });
  const agent = await startEmbeddedAgent({ database, url, dataDir: tmp, concurrency: 1, logger: silentLogger });

  const repo = path.join(tmp, 'repo');
  fs.mkdirSync(path.join(repo, '.circleci'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.circleci/config.yml'), CONFIG);
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...a], { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'Bench the dashboard');
  const user = await ensureUser(database.db, 'bench');
  const org = await ensureOrganization(database.db, 'github', 'bench');
  await addMember(database.db, org.id, user.id);
  await createProject(database.db, org, { name: 'app', vcsUrl: repo, defaultBranch: 'main' });
  const token = await createApiToken(database.db, user.id, 'bench');
  const call = async (method: string, p: string, body?: unknown) =>
    (await fetch(url + p, { method, headers: { 'circle-token': token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;
  const pipeline = await call('POST', '/api/v2/project/gh/bench/app/pipeline', {});
  let jobUrl = '';
  for (let i = 0; i < 600 && !jobUrl; i++) {
    const wf = (await call('GET', `/api/v2/pipeline/${pipeline.id}/workflow`)).items?.[0];
    if (wf?.status === 'success') jobUrl = new URL((await call('GET', '/api/v2/project/gh/bench/app/job/1')).web_url).pathname;
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!jobUrl) throw new Error('the bench pipeline did not finish');
  const signIn = await fetch(`${url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!;

  const targets: [string, string, string][] = [
    ['empty static page', '/bench/empty', 'p'],
    ['pipeline list, first row', '/pipelines/gh/bench/app', 'tr.pipeline-row'],
    ['job page, first log line', jobUrl, '.log .line'],
  ];
  const times: Record<string, { cold: number[]; warm: number[] }> = {};
  for (let run = 0; run < RUNS; run++) {
    for (const [name, p, selector] of targets) {
      const profile = fs.mkdtempSync(path.join(tmp, 'profile-'));
      const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
      await context.addCookies([{ name: 'circlet_session', value: cookie, url }]);
      await context.addInitScript(firstPaintOf(selector));
      const page = context.pages()[0] ?? (await context.newPage());
      const measure = async () => {
        await page.goto(url + p);
        await page.waitForFunction('(window.__painted ?? -1) > 0', undefined, { timeout: 20_000 });
        return (await page.evaluate('window.__painted')) as number;
      };
      const t = (times[name] ??= { cold: [], warm: [] });
      t.cold.push(await measure());
      t.warm.push(await measure());
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  }

  const assets = path.join(ROOT, 'dist/web/assets');
  let raw = 0;
  let gz = 0;
  console.log(`bench:ui — median of ${RUNS} runs, ms from navigation start to first paint of the element`);
  for (const [name] of targets) console.log(`  ${name.padEnd(28)} cold ${median(times[name]!.cold).toFixed(0).padStart(5)} ms   warm ${median(times[name]!.warm).toFixed(0).padStart(5)} ms`);
  console.log('assets (dist/web/assets):');
  for (const f of fs.readdirSync(assets).sort()) {
    const b = fs.readFileSync(path.join(assets, f));
    const g = zlib.gzipSync(b, { level: 9 }).length;
    if (/\.(js|css)$/.test(f)) {
      raw += b.length;
      gz += g;
    }
    console.log(`  ${f.padEnd(28)} ${(b.length / 1024).toFixed(1).padStart(7)} KB   gzip ${(g / 1024).toFixed(1).padStart(6)} KB`);
  }
  console.log(`  JS+CSS total ${(raw / 1024).toFixed(1)} KB, gzip ${(gz / 1024).toFixed(1)} KB (target < 300 KB)`);
  const coldList = median(times['pipeline list, first row']!.cold);
  await agent.stop(0);
  await close();
  await database.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  const ok = coldList < 1000 && gz < 300 * 1024;
  console.log(ok ? 'targets met' : 'target missed: a cold pipeline list under 1000 ms and JS+CSS under 300 KB gzipped');
  process.exit(ok ? 0 : 1);
}

await main();
