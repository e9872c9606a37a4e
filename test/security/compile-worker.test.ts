// Attack: a pathological config compiled on the server's event loop freezes every request
// (issue 18, item 2). Compiles run in worker threads with a time and a heap limit.
import { afterAll, describe, expect, it } from 'vitest';
import { CompileWorkers } from '../../src/engine/services/compile-worker.ts';
import { compileConfig } from '../../src/config/index.ts';
import { MapOrbSource } from '../config/helpers.ts';

const ok = `version: 2.1
orbs: {o: acme/o@1.0.0}
jobs: {build: {docker: [{image: x}], steps: [checkout, o/hello]}}
workflows: {w: {jobs: [build]}}
`;
const orb = 'version: 2.1\ncommands: {hello: {steps: [{run: echo hi}]}}\n';

describe('compile workers', () => {
  it('idle workers are ended and started again by the next compile', async () => {
    const pool = new CompileWorkers({ size: 1, idleMs: 100 });
    try {
      const src = 'version: 2.1\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n';
      expect((await pool.compile(src)).compiled).not.toBeNull();
      expect((pool as unknown as { slots: unknown[] }).slots).toHaveLength(1);
      for (let i = 0; i < 100 && (pool as unknown as { slots: unknown[] }).slots.length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect((pool as unknown as { slots: unknown[] }).slots).toHaveLength(0);
      expect((await pool.compile(src)).compiled).not.toBeNull();
    } finally {
      await pool.close();
    }
  });

  const pool = new CompileWorkers({ size: 1, timeoutMs: 1500, heapMb: 64 });
  afterAll(() => pool.close());

  it('compiles like compileConfig, asking the parent thread for orbs', async () => {
    const source = new MapOrbSource({ 'acme/o@1.0.0': orb });
    const r = await pool.compile(ok, { orbSource: source, pipelineValues: { 'git.branch': 'main' } });
    const direct = await compileConfig(ok, { orbSource: source, pipelineValues: { 'git.branch': 'main' } });
    expect(r).toEqual(direct);
    expect(r.compiledYaml).toContain('echo hi');
  });
  it('an orb source failure is a config error, as in-process', async () => {
    const failing = { resolve: async () => Promise.reject(new Error('registry down')) };
    const r = await pool.compile(ok, { orbSource: failing });
    expect(r.diagnostics[0]!.message).toContain('registry down');
  });
  it('a compile past the time limit ends in a config error while the event loop keeps answering, and the next compile works', async () => {
    // ~1.9 MB of YAML (under the 2 MB source limit). The explicit tag sends it down the
    // Document path (src/config/fast-yaml.ts takes no tagged document), about 2 s of parsing:
    // the fast path alone now parses this in 130-170 ms, too near the 200 ms limit to test it.
    const junk = Array.from({ length: 60_000 }, (_, i) => `  - {k: v${i}, n: [1, 2, 3]}`).join('\n');
    const slow = `version: 2.1\nx-tag: !!str tagged\nx-junk:\n${junk}\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n`;
    expect(slow.length).toBeLessThan(2 * 1024 * 1024);
    const fast = new CompileWorkers({ size: 1, timeoutMs: 200 });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const t0 = performance.now();
      const r = await fast.compile(slow);
      clearInterval(timer);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.compiled).toBeNull();
      expect(r.diagnostics[0]!.message).toMatch(/took longer than 0\.2 s to compile/);
      expect(ticks).toBeGreaterThan(5);
      const again = await fast.compile('version: 2.1\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n');
      expect(again.compiled).not.toBeNull();
    } finally {
      await fast.close();
    }
  });
  it('a compile that exhausts the worker heap ends in a config error, and the pool recovers', async () => {
    // Under the size limits, but far more than a 16 MB heap holds.
    const tiny = new CompileWorkers({ size: 1, heapMb: 16 });
    try {
      const steps = Array.from({ length: 900 }, (_, i) => `      - run: {name: s${i}, command: "<< parameters.big >>"}`).join('\n');
      const jobs = Array.from({ length: 400 }, (_, i) => `      - build: {name: b${i}, big: "${i}${'z'.repeat(20)}"}`).join('\n');
      const src = `version: 2.1\njobs:\n  build:\n    parameters: {big: {type: string}}\n    docker: [{image: x}]\n    steps:\n${steps}\nworkflows:\n  w:\n    jobs:\n${jobs}\n`;
      const r = await tiny.compile(src);
      expect(r.compiled).toBeNull();
      expect(r.diagnostics[0]!.message).toBe('Compiling the config needed more than 16 MB of memory (the compile memory limit); it was stopped');
      const again = await tiny.compile('version: 2.1\njobs: {a: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n');
      expect(again.compiled).not.toBeNull();
    } finally {
      await tiny.close();
    }
  });
});
