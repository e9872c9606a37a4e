// Without CIRCLET_TEST_DATABASE_URL the PostgreSQL half of the tests is skipped and a run says so
// in one line, once, however many test files skip it: a real nested vitest run over three files.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const vitest = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
const files = ['test/storage/users.test.ts', 'test/storage/organizations.test.ts', 'test/storage/env-vars.test.ts'];

describe('the PostgreSQL skip line', () => {
  it('is printed once per run, and the SQLite half still runs', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
    delete env.CIRCLET_TEST_DATABASE_URL;
    const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=verbose', ...files], { cwd: repoRoot, env, encoding: 'utf8', timeout: 120_000 });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    expect(out.match(/CIRCLET_TEST_DATABASE_URL is not set/g)).toHaveLength(1);
    expect(out).toMatch(/the PostgreSQL half of the tests is skipped/);
    expect(out).toMatch(/sqlite/);
    expect(out).not.toMatch(/postgres.*✓|✓.*postgres/);
  }, 150_000);
});
