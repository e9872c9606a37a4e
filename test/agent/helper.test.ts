// The `circleci` helper jobs get on PATH: tests glob/split/run and step halt.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperTools } from '../../src/agent/agent.ts';
import { tempDir } from '../helpers/databases.ts';

let dir: string;
let bin: string;

function circleci(args: string[], input = '', env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(path.join(bin, 'circleci'), args, { cwd: dir, input, env: { PATH: process.env.PATH!, ...env } });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

beforeAll(() => {
  dir = tempDir('circlet-helper-');
  bin = path.join(dir, '.bin');
  fs.mkdirSync(bin);
  for (const [name, content] of Object.entries(helperTools())) fs.writeFileSync(path.join(bin, name), content, { mode: 0o755 });
  const files: Record<string, number> = { 'spec/a_spec.rb': 10, 'spec/b_spec.rb': 500, 'spec/deep/c_spec.rb': 200, 'spec/deep/er/d_spec.rb': 50, 'spec/e_spec.js': 5, 'other.rb': 1 };
  for (const [f, size] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), 'x'.repeat(size));
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('circleci tests', () => {
  it('globs with **, *, braces and several patterns', () => {
    expect(circleci(['tests', 'glob', 'spec/**/*_spec.rb']).out).toBe('spec/a_spec.rb\nspec/b_spec.rb\nspec/deep/c_spec.rb\nspec/deep/er/d_spec.rb\n');
    expect(circleci(['tests', 'glob', 'spec/*_spec.{rb,js}']).out).toBe('spec/a_spec.rb\nspec/b_spec.rb\nspec/e_spec.js\n');
    expect(circleci(['tests', 'glob', '*.rb', 'spec/deep/*.rb']).out).toBe('other.rb\nspec/deep/c_spec.rb\n');
  });

  it('splits by name: every file on exactly one node', () => {
    const all = circleci(['tests', 'glob', 'spec/**/*']).out;
    const nodes = [0, 1, 2].map((i) => circleci(['tests', 'split', '--total', '3', '--index', String(i)], all).out.split('\n').filter(Boolean));
    expect(nodes.flat().sort()).toEqual(all.split('\n').filter(Boolean).sort());
    expect(nodes.map((n) => n.length)).toEqual([2, 2, 1]);
  });

  it('splits by file size, balancing the load (CIRCLE_NODE_* by default)', () => {
    const all = circleci(['tests', 'glob', 'spec/**/*_spec.rb']).out;
    const node = (i: number) => circleci(['tests', 'split', '--split-by=filesize'], all, { CIRCLE_NODE_TOTAL: '2', CIRCLE_NODE_INDEX: String(i) }).out.split('\n').filter(Boolean);
    expect(node(0)).toEqual(['spec/b_spec.rb']);
    expect(node(1)).toEqual(['spec/a_spec.rb', 'spec/deep/c_spec.rb', 'spec/deep/er/d_spec.rb']);
  });

  it('splits by timings when the agent provided them, else by name with a note', () => {
    const data = tempDir('circlet-helper-data-');
    const list = 'a\nb\nc\n';
    const noData = circleci(['tests', 'split', '--split-by=timings', '--total=2', '--index=0'], list, { CIRCLE_INTERNAL_TASK_DATA: data });
    expect(noData.out).toBe('a\nc\n');
    expect(noData.err).toMatch(/No timing data found/);
    fs.writeFileSync(path.join(data, 'test-timings.json'), JSON.stringify({ a: 10, b: 1, c: 1 }));
    expect(circleci(['tests', 'split', '--split-by=timings', '--total=2', '--index=0'], list, { CIRCLE_INTERNAL_TASK_DATA: data }).out).toBe('a\n');
    // Stored timings name files without a leading ./
    expect(circleci(['tests', 'split', '--split-by=timings', '--total=2', '--index=1'], './a\n./b\n./c\n', { CIRCLE_INTERNAL_TASK_DATA: data }).out).toBe('./b\n./c\n');
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('runs a command with this node\'s share on stdin', () => {
    const r = circleci(['tests', 'run', '--command=xargs echo got', '--index=1', '--total=2'], 'x\ny\nz\n');
    expect(r).toMatchObject({ code: 0, out: 'got y\n' });
  });

  it('rejects unknown commands', () => {
    expect(circleci(['tests', 'nope']).code).toBe(1);
    expect(circleci(['tests', 'split', '--split-by=magic'], 'a\n').code).toBe(1);
  });
});

describe('circleci-agent step halt', () => {
  it('leaves the halt marker in the task data dir', () => {
    const data = tempDir('circlet-helper-halt-');
    execFileSync(path.join(bin, 'circleci-agent'), ['step', 'halt'], { env: { PATH: process.env.PATH!, CIRCLE_INTERNAL_TASK_DATA: data } });
    expect(fs.existsSync(path.join(data, 'halt'))).toBe(true);
    fs.rmSync(data, { recursive: true, force: true });
  });
});
