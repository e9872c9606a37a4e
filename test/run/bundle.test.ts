// `circlet run` loads from dist/cli/run.bundle.cjs with V8's code cache (src/cli/run-bundle.ts):
// the first run that ends writes the cache, the next ones use it, a damaged one is made again,
// and CIRCLET_NO_BUNDLE=1 loads dist/ module by module.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/child.ts';
import { runRepo } from './helpers.ts';

const CONFIG = `
version: 2.1
jobs:
  a: {machine: true, steps: [checkout, {run: "cat README.md"}]}
  b: {machine: true, steps: [{run: "echo from-b"}]}
workflows: {main: {jobs: [a, {b: {requires: [a]}}]}}
`;

const codeCaches = (cache: string): string[] => {
  const dir = path.join(cache, 'circlet', 'code');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
};

describe('circlet run from the bundle', () => {
  it('is what the build made', () => {
    const bundle = path.join(ROOT, 'dist', 'cli', 'run.bundle.cjs');
    expect(fs.statSync(bundle).mtimeMs).toBeGreaterThanOrEqual(fs.statSync(path.join(ROOT, 'dist', '.tsbuildinfo')).mtimeMs);
  });

  it('writes a code cache after the first run, uses it on the next, and makes a damaged one again', async () => {
    const repo = runRepo(CONFIG, { 'README.md': 'hello from the repo\n' });
    // The cache of an earlier build: dropped when this build's is written.
    const earlier = path.join(repo.cache, 'circlet', 'code', 'run-aaaaaaaaaaaa-bbbbbbbbbbbb.bin');
    fs.mkdirSync(path.dirname(earlier), { recursive: true });
    fs.writeFileSync(earlier, 'old');
    const first = await repo.run();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('from-b');
    const [file, ...more] = codeCaches(repo.cache);
    expect(more).toEqual([]);
    expect(path.basename(file!)).toMatch(/^run-[0-9a-f]{12}-[0-9a-f]{12}\.bin$/);
    const made = fs.readFileSync(file!);
    expect(made.length).toBeGreaterThan(100_000);

    // Accepted by V8: not written again.
    const second = await repo.run();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('hello from the repo');
    expect(fs.readFileSync(file!).equals(made)).toBe(true);

    // Garbage of the same length: V8 rejects it, the run still succeeds and a good one replaces it.
    const garbage = Buffer.alloc(made.length, 7);
    fs.writeFileSync(file!, garbage);
    const third = await repo.run();
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('from-b');
    expect(codeCaches(repo.cache)).toEqual([file]);
    expect(fs.readFileSync(file!).equals(garbage)).toBe(false);

    // Other V8 flags: a cache of their own beside this one, which stays.
    const flagged = await repo.run([], { NODE_OPTIONS: '--max-old-space-size=300' });
    expect(flagged.code, flagged.stderr).toBe(0);
    const caches = codeCaches(repo.cache);
    expect(caches).toHaveLength(2);
    expect(caches).toContain(file);
    expect(caches.map((f) => path.basename(f).split('-')[1])).toEqual([path.basename(file!).split('-')[1], path.basename(file!).split('-')[1]]);
  });

  it('keeps no code cache from --help or a run stopped by a usage error', async () => {
    const repo = runRepo(CONFIG);
    const help = await repo.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--commit');
    const r = await repo.run(['--param', 'nope=1']);
    expect(r.code).toBe(2);
    expect(codeCaches(repo.cache)).toEqual([]);
  });

  it('loads dist/ module by module with CIRCLET_NO_BUNDLE=1', async () => {
    const repo = runRepo(CONFIG, { 'README.md': 'hello from the repo\n' });
    const r = await repo.run([], { CIRCLET_NO_BUNDLE: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello from the repo');
    expect(codeCaches(repo.cache)).toEqual([]);
  });
});
