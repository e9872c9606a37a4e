// Parameter declarations, argument binding and type checks; pipeline parameters.
import { describe, expect, it } from 'vitest';
import { readDecls } from '../../src/config/params.ts';
import { Diags } from '../../src/config/util.ts';
import { compile, compiled, errors, messages, yml } from './helpers.ts';

describe('readDecls (declaration checks and their wording)', () => {
  const check = (raw: unknown, kind: 'job' | 'pipeline' = 'job'): string[] => {
    const d = new Diags();
    readDecls(raw, ['p'], d, kind);
    return d.items.map((i) => i.message);
  };
  it('requires a valid type', () => {
    expect(check({ v: { default: 'a' } })).toEqual(["Parameter 'v' is missing required key 'type'"]);
    expect(check({ v: { type: 'float' } })).toEqual(["Parameter 'v' has invalid type 'float'; expected one of: string, boolean, integer, enum, executor, steps, env_var_name"]);
    expect(check({ v: { type: 'steps', default: [] } }, 'pipeline')).toEqual(["Parameter 'v' has invalid type 'steps'; expected one of: string, boolean, integer, enum"]);
  });
  it('requires an enum list containing the default', () => {
    expect(check({ v: { type: 'enum', default: 'a' } })).toEqual(["Parameter 'v' of type enum requires a non-empty 'enum' list"]);
    expect(check({ v: { type: 'enum', enum: ['a'], default: 'b' } })).toEqual([
      'Type error for default of parameter v: expected type: enum, actual value: "b" (type string) is not one of: a',
    ]);
  });
  it('checks names and reserved job keys', () => {
    expect(check({ '1x': { type: 'string' } })).toEqual(["Invalid parameter name '1x': must start with a letter and contain only letters, digits, '_', '-' or '.'"]);
    expect(check({ matrix: { type: 'string' } })).toEqual(["Parameter name 'matrix' is reserved for job invocations and cannot be declared by a job"]);
    expect(check({ 'Ok.name_x-1': { type: 'string' } })).toEqual([]);
  });
  it('requires defaults for pipeline parameters', () => {
    expect(check({ a: { type: 'string' } }, 'pipeline')).toEqual(["Pipeline parameter 'a' must have a default value"]);
  });
});

const job = (params: string, args: string): string => yml`
  version: 2.1
  jobs:
    j:
      parameters: ${params}
      docker: [{image: x}]
      steps: [{run: "echo << parameters.v >>"}]
  workflows: {w: {jobs: [{j: ${args}}]}}
`;

describe('element parameters', () => {
  it('applies defaults and passed arguments', async () => {
    const c = await compiled(job('{v: {type: string, default: d}}', '{}'));
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'echo d' } }]);
    const c2 = await compiled(job('{v: {type: string, default: d}}', '{v: given}'));
    expect(c2.jobs.j.steps).toEqual([{ run: { command: 'echo given' } }]);
  });
  it('reports an undeclared argument: Unexpected argument(s)', async () => {
    const r = await compile(job('{v: {type: string, default: d}}', '{x: 1, y: 2}'));
    expect(messages(r)).toEqual(['Unexpected argument(s): x, y']);
    expect(r.diagnostics[0].path).toBe('workflows.w.jobs[0].j');
  });
  it('reports a missing required parameter', async () => {
    const r = await compile(job('{v: {type: string}}', '{}'));
    expect(messages(r)).toEqual(['Missing required argument(s): v']);
  });
  it('reports a missing type and an invalid type (once, at the parameter)', async () => {
    const missing = await compile(job('{v: {default: a}}', '{}'));
    expect(errors(missing).map((d) => d.path)).toEqual(['jobs.j.parameters.v']);
    expect(errors(missing)[0].message).toMatch(/type/);
    const bad = await compile(job('{v: {type: float, default: 1}}', '{}'));
    expect(errors(bad)).toHaveLength(1);
    expect(errors(bad)[0].message).toMatch(/float/);
  });
  it('accepts YAML 1.1 booleans (yes/on/off) for boolean parameters', async () => {
    const c = await compiled(job('{v: {type: boolean, default: no}}', '{v: on}'));
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'echo true' } }]);
  });
  it('reports wrong types', async () => {
    expect(messages(await compile(job('{v: {type: boolean, default: true}}', '{v: "yes"}')))).toEqual([
      'Type error for argument v: expected type: boolean, actual value: "yes" (type string)',
    ]);
    expect(messages(await compile(job('{v: {type: string, default: a}}', '{v: true}')))).toEqual([
      'Type error for argument v: expected type: string, actual value: true (type boolean)',
    ]);
    expect(messages(await compile(job('{v: {type: integer, default: 1}}', '{v: 1.5}')))).toEqual([
      'Type error for argument v: expected type: integer, actual value: 1.5 (type float)',
    ]);
    expect(messages(await compile(job('{v: {type: env_var_name, default: A}}', '{v: "1BAD"}')))).toEqual([
      'Type error for argument v: expected type: env_var_name, actual value: "1BAD" (type string)',
    ]);
  });
  it('checks enum values, the enum list and the default', async () => {
    expect(messages(await compile(job('{v: {type: enum, enum: [a, b], default: a}}', '{v: c}')))).toEqual([
      'Type error for argument v: expected type: enum, actual value: "c" (type string) is not one of: a, b',
    ]);
    const noList = messages(await compile(job('{v: {type: enum, default: a}}', '{}')));
    expect(noList).toHaveLength(1);
    expect(noList[0]).toMatch(/enum/);
    const badDefault = messages(await compile(job('{v: {type: enum, enum: [a, b], default: z}}', '{}')));
    expect(badDefault).toHaveLength(1);
    expect(badDefault[0]).toMatch(/z/);
    const c = await compiled(job('{v: {type: enum, enum: [a, b], default: a}}', '{v: b}'));
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'echo b' } }]);
  });
  it('reserves invocation keys as job parameter names', async () => {
    const r = await compile(job('{v: {type: string, default: a}, requires: {type: string, default: b}}', '{}'));
    expect(messages(r)).toContain("Parameter name 'requires' is reserved for job invocations and cannot be declared by a job");
  });
  it('checks parameter names', async () => {
    const r = await compile(job('{v: {type: string, default: a}, 1x: {type: string, default: b}}', '{}'));
    expect(errors(r).map((d) => d.path)).toEqual(['jobs.j.parameters.1x']);
  });
  it('steps parameters are spliced with `- steps:` and must be lists', async () => {
    const src = yml`
      version: 2.1
      jobs:
        j:
          parameters: {s: {type: steps, default: []}}
          docker: [{image: x}]
          steps: [checkout, {steps: << parameters.s >>}, {run: end}]
      workflows: {w: {jobs: [{j: {s: [{run: a}, {run: b}]}}]}}
    `;
    const c = await compiled(src);
    expect(c.jobs.j.steps).toEqual(['checkout', { run: { command: 'a' } }, { run: { command: 'b' } }, { run: { command: 'end' } }]);
    const r = await compile(src.replace('{s: [{run: a}, {run: b}]}', '{s: {run: a}}'));
    expect(messages(r)).toEqual(['Type error for argument s: expected type: steps, actual value: a map']);
  });
});

describe('pipeline parameters', () => {
  const src = yml`
    version: 2.1
    parameters:
      flag: {type: boolean, default: false}
      ver: {type: string, default: "1.0"}
      n: {type: integer, default: 2}
      env: {type: enum, enum: [dev, prod], default: dev}
    jobs:
      j:
        docker: [{image: "x:<< pipeline.parameters.ver >>"}]
        parallelism: << pipeline.parameters.n >>
        steps: [{run: "echo << pipeline.parameters.env >> << pipeline.parameters.flag >>"}]
    workflows: {w: {jobs: [j]}}
  `;
  it('uses declared defaults, overridden by trigger values', async () => {
    const c = await compiled(src);
    expect(c.jobs.j).toEqual({ docker: [{ image: 'x:1.0' }], parallelism: 2, steps: [{ run: { command: 'echo dev false' } }] });
    const c2 = await compiled(src, { pipelineParameters: { flag: true, ver: '2.0', n: 5, env: 'prod' } });
    expect(c2.jobs.j).toEqual({ docker: [{ image: 'x:2.0' }], parallelism: 5, steps: [{ run: { command: 'echo prod true' } }] });
  });
  it('rejects undeclared trigger parameters: Unexpected argument(s)', async () => {
    expect(messages(await compile(src, { pipelineParameters: { nope: 1 } }))).toEqual(['Unexpected argument(s): nope']);
  });
  it('type-checks trigger parameters', async () => {
    expect(messages(await compile(src, { pipelineParameters: { n: 'x' } }))).toEqual([
      'Type error for argument n: expected type: integer, actual value: "x" (type string)',
    ]);
    expect(messages(await compile(src, { pipelineParameters: { env: 'qa' } }))).toEqual([
      'Type error for argument env: expected type: enum, actual value: "qa" (type string) is not one of: dev, prod',
    ]);
  });
  it('requires a default and a pipeline type', async () => {
    const r = await compile(yml`
      version: 2.1
      parameters:
        a: {type: string}
        b: {type: steps, default: []}
      jobs: {j: {docker: [{image: x}], steps: [checkout]}}
      workflows: {w: {jobs: [j]}}
    `);
    expect(errors(r).map((d) => d.path).sort()).toEqual(['parameters.a', 'parameters.b.type']);
  });
  it('are not visible inside other pipeline parameters’ definitions', async () => {
    const r = await compile(yml`
      version: 2.1
      parameters:
        a: {type: string, default: x}
        b: {type: string, default: "<< pipeline.parameters.a >>"}
      jobs: {j: {docker: [{image: x}], steps: [checkout]}}
      workflows: {w: {jobs: [j]}}
    `);
    expect(messages(r)).toEqual(['Arguments referenced without declared parameters: pipeline.parameters.a']);
  });
});
