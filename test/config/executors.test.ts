// Executors and job bodies: inlining, parameters, override and environment-merge rules.
import { describe, expect, it } from 'vitest';
import { compile, compiled, messages, yml } from './helpers.ts';

describe('executors', () => {
  const src = yml`
    version: 2.1
    executors:
      node:
        parameters: {tag: {type: string, default: "18.0"}}
        docker: [{image: "cimg/node:<< parameters.tag >>", environment: {A: img}}]
        resource_class: large
        working_directory: ~/app
        shell: /bin/bash
        environment: {X: exec, Y: exec}
    jobs:
      plain:
        executor: node
        steps: [checkout]
      args:
        parameters: {v: {type: string, default: "20.1"}}
        executor: {name: node, tag: << parameters.v >>}
        steps: [checkout]
      override:
        executor: node
        docker: [{image: other}]
        resource_class: small
        environment: {Y: job, Z: job}
        steps: [checkout]
    workflows: {w: {jobs: [plain, args, override]}}
  `;
  it('inlines the executor into the job', async () => {
    const c = await compiled(src);
    expect(c.jobs.plain).toEqual({
      docker: [{ image: 'cimg/node:18.0', environment: { A: 'img' } }],
      resource_class: 'large',
      working_directory: '~/app',
      shell: '/bin/bash',
      environment: [{ X: 'exec' }, { Y: 'exec' }],
      steps: ['checkout'],
    });
  });
  it('passes executor arguments (forwarded from job parameters)', async () => {
    expect((await compiled(src)).jobs.args.docker).toEqual([{ image: 'cimg/node:20.1', environment: { A: 'img' } }]);
  });
  it('lets job keys replace executor keys wholesale, and merges environment (job wins)', async () => {
    const c = await compiled(src);
    expect(c.jobs.override.docker).toEqual([{ image: 'other' }]);
    expect(c.jobs.override.resource_class).toBe('small');
    expect(c.jobs.override.environment).toEqual([{ X: 'exec' }, { Y: 'job' }, { Z: 'job' }]);
  });
  it('reports an unknown executor', async () => {
    const r = await compile(src.replace('executor: node\n    steps', 'executor: nope\n    steps'));
    expect(messages(r)).toEqual(['Cannot find a definition for executor named nope']);
    expect(r.diagnostics[0].path).toBe('jobs.plain.executor');
  });
  it('reports unexpected executor arguments', async () => {
    expect(messages(await compile(src.replace('tag: << parameters.v >>', 'tagg: 1')))).toEqual(['Unexpected argument(s): tagg']);
  });
  it('takes executor-typed parameters (name or {name, args}) resolved in the caller’s scope', async () => {
    const c = await compiled(yml`
      version: 2.1
      executors:
        a: {docker: [{image: a}]}
        b:
          parameters: {t: {type: string, default: "1"}}
          docker: [{image: "b:<< parameters.t >>"}]
      jobs:
        j:
          parameters: {e: {type: executor, default: a}}
          executor: << parameters.e >>
          steps: [checkout]
      workflows:
        w:
          jobs:
            - j
            - j: {name: j-b, e: b}
            - j: {name: j-b2, e: {name: b, t: "2"}}
    `);
    expect(c.jobs.j.docker).toEqual([{ image: 'a' }]);
    expect(c.jobs['j-b'].docker).toEqual([{ image: 'b:1' }]);
    expect(c.jobs['j-b2'].docker).toEqual([{ image: 'b:2' }]);
  });
});

describe('job shape', () => {
  it('emits job environment as a list of single-key maps, run/docker environment stay maps', async () => {
    const c = await compiled(yml`
      version: 2.1
      jobs:
        j:
          docker: [{image: x, environment: {D: 1}}]
          environment: {BASH_ENV: ./ci/bash-env}
          steps: [{run: {command: c, environment: {R: 1}}}]
      workflows: {w: {jobs: [j]}}
    `);
    expect(c.jobs.j).toEqual({
      docker: [{ image: 'x', environment: { D: 1 } }],
      environment: [{ BASH_ENV: './ci/bash-env' }],
      steps: [{ run: { command: 'c', environment: { R: 1 } } }],
    });
  });
  it('requires exactly one executor for build jobs', async () => {
    const none = await compile('version: 2.1\njobs: {j: {steps: [checkout]}}\nworkflows: {w: {jobs: [j]}}\n');
    // One diagnostic (from the structural schema check when present, else from the compiler).
    expect(messages(none)).toHaveLength(1);
    expect(messages(none)[0]).toMatch(/executor|docker/);
    const two = await compile('version: 2.1\njobs: {j: {docker: [{image: x}], machine: true, steps: [checkout]}}\nworkflows: {w: {jobs: [j]}}\n');
    expect(messages(two)).toHaveLength(1);
    expect(messages(two)[0]).toMatch(/docker|machine/);
  });
  it('drops description and parameters from compiled jobs', async () => {
    const c = await compiled('version: 2.1\njobs: {j: {description: d, parameters: {a: {type: string, default: x}}, docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [j]}}\n');
    expect(c.jobs.j).toEqual({ docker: [{ image: 'x' }], steps: ['checkout'] });
  });
  it('requires job names to be unique ignoring case', async () => {
    const r = await compile('version: 2.1\njobs: {a: {docker: [{image: x}], steps: [checkout]}, A: {docker: [{image: x}], steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n');
    expect(messages(r)).toContain("Job names must be unique ignoring case: 'A' and 'a'");
  });
});

describe('executor parameter scope', () => {
  it('is limited to the executor definition', async () => {
    const r = await compile(yml`
      version: 2.1
      executors:
        e:
          parameters: {tag: {type: string, default: "1"}}
          docker: [{image: "x:<< parameters.tag >>"}]
      jobs:
        j:
          executor: e
          steps: [{run: "echo << parameters.tag >>"}]
      workflows: {w: {jobs: [j]}}
    `);
    expect(messages(r)).toEqual(['Arguments referenced without declared parameters: parameters.tag']);
    expect(r.diagnostics[0].path).toBe('jobs.j.steps[0].run');
  });
  it('rejects the {orb/name: {args}} executor form', async () => {
    const m = messages(await compile('version: 2.1\nexecutors:\n  e: {docker: [{image: x}]}\njobs:\n  j: {executor: {e: {a: 1}}, steps: [checkout]}\nworkflows: {w: {jobs: [j]}}\n'));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/executor|name/i);
  });
});
