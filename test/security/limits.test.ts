// Attack: one config exhausts the server's memory or time (issue 18, item 1). Every limit in
// docs/limits.md is a located config error naming the field, reached in well under a second.
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/index.ts';
import { LIMITS } from '../../src/config/limits.ts';

async function timed(src: string, budgetMs = 3000) {
  const t0 = performance.now();
  const r = await compileConfig(src, { pipelineValues: { 'git.branch': 'main' } });
  const ms = performance.now() - t0;
  expect(ms).toBeLessThan(budgetMs);
  expect(r.compiled).toBeNull();
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.length).toBeGreaterThan(0);
  return { errors, ms };
}

const job = (extra = '') => `version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:current}]
${extra}    steps: [checkout]
workflows:
  w:
    jobs: [build]
`;

describe('compile limits', () => {
  it('parallelism: 1000000000 is a config error at jobs.build.parallelism', async () => {
    const { errors } = await timed(job('    parallelism: 1000000000\n'));
    expect(errors[0]).toMatchObject({ path: 'jobs.build.parallelism', line: 5, message: expect.stringContaining(`at most ${LIMITS.parallelism}`) });
  });
  it('parallelism through a parameter is checked after substitution', async () => {
    const src = `version: 2.1
jobs:
  build:
    parameters: {p: {type: integer, default: 5000}}
    docker: [{image: x}]
    parallelism: << parameters.p >>
    steps: [checkout]
workflows: {w: {jobs: [build]}}
`;
    const { errors } = await timed(src);
    expect(errors.map((e) => e.message).join('\n')).toContain('parallelism is 5000');
    expect(errors[0]!.path).toBe('jobs.build.parallelism');
  });
  it(`parallelism ${LIMITS.parallelism} still compiles`, async () => {
    const r = await compileConfig(job(`    parallelism: ${LIMITS.parallelism}\n`));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
  it('50,000 jobs fail fast with a limit error (the source is over the size limit)', async () => {
    const defs = Array.from({ length: 50_000 }, (_, i) => `  j${i}: {docker: [{image: x}], steps: [checkout]}`).join('\n');
    const list = Array.from({ length: 50_000 }, (_, i) => `      - j${i}`).join('\n');
    const { errors, ms } = await timed(`version: 2.1\njobs:\n${defs}\nworkflows:\n  w:\n    jobs:\n${list}\n`, 500);
    expect(errors[0]!.message).toMatch(/The config is 3\.\d\d MB; at most 2 MB is allowed/);
    expect(ms).toBeLessThan(500);
  });
  it('1,500 job definitions and 1,500 invocations are limit errors naming jobs and workflows.w.jobs', async () => {
    const defs = Array.from({ length: 1500 }, (_, i) => `  j${i}: {docker: [{image: x}], steps: [checkout]}`).join('\n');
    const list = Array.from({ length: 1500 }, (_, i) => `      - j${i}`).join('\n');
    const { errors } = await timed(`version: 2.1\njobs:\n${defs}\nworkflows:\n  w:\n    jobs:\n${list}\n`);
    expect(errors[0]).toMatchObject({ path: 'jobs', line: 3, message: 'jobs defines 1500 entries; at most 1000 are allowed' });
    expect(errors[1]).toMatchObject({ path: 'workflows.w.jobs', message: 'Workflow w has 1500 jobs; at most 500 are allowed per workflow' });
  });
  it('one job invoked 600 times in a workflow is a limit error at workflows.w.jobs', async () => {
    const list = Array.from({ length: 600 }, (_, i) => `      - build: {name: b${i}}`).join('\n');
    const src = `version: 2.1\njobs:\n  build: {docker: [{image: x}], steps: [checkout]}\nworkflows:\n  w:\n    jobs:\n${list}\n`;
    const { errors } = await timed(src);
    expect(errors[0]).toMatchObject({ path: 'workflows.w.jobs', line: 7 });
  });
  it('matrices past the per-workflow limit stop while expanding', async () => {
    const m = `      - build: {matrix: {parameters: {a: [${Array.from({ length: 300 }, (_, i) => i)}]}}}`;
    const src = `version: 2.1\njobs:\n  build: {parameters: {a: {type: integer}}, docker: [{image: x}], steps: [checkout]}\nworkflows:\n  w:\n    jobs:\n${m}\n${m.replace('build:', 'build: {name: x-<< matrix.a >>}, _:').replace('{name: x-<< matrix.a >>}, _: ', '')}\n`;
    const { errors } = await timed(src);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/Workflow w has 600 jobs; at most 500/);
  });
  it('200,000 steps fail fast (source size) and 5,000 steps are a limit error at jobs.build.steps', async () => {
    const many = Array.from({ length: 200_000 }, () => '      - checkout').join('\n');
    const huge = await timed(`version: 2.1\njobs:\n  build:\n    docker: [{image: x}]\n    steps:\n${many}\nworkflows: {w: {jobs: [build]}}\n`, 500);
    expect(huge.errors[0]!.message).toMatch(/at most 2 MB is allowed/);
    const steps = Array.from({ length: 5000 }, () => '      - checkout').join('\n');
    const { errors } = await timed(`version: 2.1\njobs:\n  build:\n    docker: [{image: x}]\n    steps:\n${steps}\nworkflows: {w: {jobs: [build]}}\n`);
    expect(errors[0]).toMatchObject({ path: 'jobs.build.steps', line: 6, message: expect.stringContaining('5000 steps; at most 1000') });
  });
  it('commands that expand a job past 1,000 steps are a limit error', async () => {
    const src = `version: 2.1
commands:
  ten: {steps: [checkout, checkout, checkout, checkout, checkout, checkout, checkout, checkout, checkout, checkout]}
  hundred: {steps: [ten, ten, ten, ten, ten, ten, ten, ten, ten, ten]}
jobs:
  build: {docker: [{image: x}], steps: [hundred, hundred, hundred, hundred, hundred, hundred, hundred, hundred, hundred, hundred, hundred]}
workflows: {w: {jobs: [build]}}
`;
    const { errors } = await timed(src);
    expect(errors[0]).toMatchObject({ path: 'jobs.build.steps', message: 'Job build expands to 1100 steps; at most 1000 are allowed per job' });
  });
  it('a matrix larger than a workflow may hold is refused before expansion', async () => {
    const src = `version: 2.1
jobs:
  build: {parameters: {a: {type: integer}, b: {type: integer}}, docker: [{image: x}], steps: [checkout]}
workflows:
  w:
    jobs:
      - build: {matrix: {parameters: {a: [${Array.from({ length: 100 }, (_, i) => i)}], b: [${Array.from({ length: 100 }, (_, i) => i)}]}}}
`;
    const { errors } = await timed(src);
    expect(errors[0]).toMatchObject({ path: 'workflows.w.jobs[0].build.matrix.parameters', message: 'matrix expands to 10000 jobs; at most 500 are allowed' });
  });
  it('a parameter-expansion bomb stops at the expanded-size limit, early', async () => {
    // Each command doubles its argument: 2^40 characters if nothing stopped it.
    const levels = 40;
    const cmds = Array.from({ length: levels }, (_, i) => {
      const next = i + 1 < levels ? `c${i + 1}: {s: "<< parameters.s >><< parameters.s >>"}` : `run: "echo << parameters.s >>"`;
      return `  c${i}:\n    parameters: {s: {type: string}}\n    steps: [{${next}}]`;
    }).join('\n');
    const src = `version: 2.1\ncommands:\n${cmds}\njobs:\n  build:\n    docker: [{image: x}]\n    steps: [{c0: {s: "${'x'.repeat(64)}"}}]\nworkflows: {w: {jobs: [build]}}\n`;
    const before = process.memoryUsage().heapUsed;
    const { errors } = await timed(src);
    expect(errors.map((e) => e.message).join('\n')).toContain('expands the config past 8 MB');
    expect(errors[0]!.line).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(400 * 1024 * 1024);
  });
  it('a config source over the size limit is refused before parsing', async () => {
    const { errors } = await timed(`version: 2.1\n# ${'x'.repeat(LIMITS.sourceBytes)}\n`);
    expect(errors[0]!.message).toMatch(/The config is 2\.00 MB; at most 2 MB is allowed/);
  });
  it('a compiled config over 8 MB is refused (one big string used by many steps)', async () => {
    const big = 'y'.repeat(100_000);
    const src = `version: 2.1
commands:
  c: {parameters: {s: {type: string, default: "${big}"}}, steps: [{run: << parameters.s >>}]}
jobs:
  build: {docker: [{image: x}], steps: [${Array.from({ length: 100 }, () => 'c').join(', ')}]}
workflows: {w: {jobs: [build]}}
`;
    const { errors } = await timed(src);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/8 MB/);
  });
});
