// Substitution: `<< … >>` references (typed and embedded), escapes, sections, expressions, scope.
import { describe, expect, it } from 'vitest';
import { interpolate, type Scope } from '../../src/config/template.ts';
import { Diags } from '../../src/config/util.ts';
import { compile, compiled, messages, yml } from './helpers.ts';

function scope(over: Partial<Scope> = {}): Scope {
  return { params: { s: 'hi', b: true, f: false, n: 3, e: '' }, pipelineParams: { pp: 'x', on: true }, pipelineValues: { 'git.branch': 'main', number: 7 }, matrix: null, ...over };
}
function sub(s: string, sc: Scope = scope()): { v: unknown; errors: string[] } {
  const d = new Diags();
  const v = interpolate(s, sc, d, []);
  return { v, errors: d.items.map((i) => i.message) };
}

describe('interpolate', () => {
  it('whole-scalar references keep their type', () => {
    expect(sub('<< parameters.b >>').v).toBe(true);
    expect(sub('<<parameters.n>>').v).toBe(3);
    expect(sub('<< pipeline.number >>').v).toBe(7);
    expect(sub('<< pipeline.parameters.on >>').v).toBe(true);
  });
  it('a reference with anything around it (even a newline) is embedded, not typed', () => {
    expect(sub('<< parameters.b >>\n').v).toBe('true\n');
    expect(sub(' << parameters.n >>').v).toBe(' 3');
  });
  it('embedded references are spliced as strings; empty stays empty', () => {
    expect(sub('echo "x is << parameters.f >>"').v).toBe('echo "x is false"');
    expect(sub('a<< parameters.e >>b << parameters.n >>').v).toBe('ab 3');
    expect(sub('on << pipeline.git.branch >>').v).toBe('on main');
  });
  it('absent pipeline values substitute as empty strings', () => {
    expect(sub('[<< pipeline.git.tag >>]').v).toBe('[]');
  });
  it('\\<< escapes a literal <<', () => {
    expect(sub('cat > f \\<< EOF').v).toBe('cat > f << EOF');
    expect(sub('echo \\<< parameters.s >>').v).toBe('echo << parameters.s >>');
    expect(sub('a \\\\<< parameters.s >> b').v).toBe('a \\<< parameters.s >> b');
    expect(sub('\\<<<< parameters.s >>').v).toBe('<<hi');
    expect(sub('x << parameters.s').v).toBe('x << parameters.s');
    expect(sub('<< parameters.s >>\\<< parameters.s >><< parameters.s >>').v).toBe('hi<< parameters.s >>hi');
  });
  it('sections: <<# x >> when truthy, <<^ x >> when falsy', () => {
    expect(sub('ls <<# parameters.b >>-a<</ parameters.b >>').v).toBe('ls -a');
    expect(sub('ls <<# parameters.f >>-a<</ parameters.f >>').v).toBe('ls ');
    expect(sub('ls <<^ parameters.f >>-l<</ parameters.f >>').v).toBe('ls -l');
    expect(sub('<<#pipeline.git.base_revision>><<pipeline.git.base_revision>><</pipeline.git.base_revision >>x').v).toBe('x');
    expect(sub('<<#pipeline.git.branch>>b=<<pipeline.git.branch>><</pipeline.git.branch>>').v).toBe('b=main');
  });
  it('evaluates expressions (and/or return operands, ==, starts-with, matches, not, parentheses)', () => {
    expect(sub('<< pipeline.git.branch == "main" and 10 or 1 >>').v).toBe(10);
    expect(sub('<< pipeline.git.branch == "dev" and 10 or 1 >>').v).toBe(1);
    expect(sub('<< pipeline.git.branch == "main" and "org-global" or "project-global" >>').v).toBe('org-global');
    expect(sub('echo "<< pipeline.git.tag or "unknown" >>"').v).toBe('echo "unknown"');
    expect(sub('<< pipeline.git.branch starts-with "ma" >>').v).toBe(true);
    expect(sub('<< pipeline.git.branch matches /ma.*/ >>').v).toBe(true);
    expect(sub('<< pipeline.git.branch matches /ma/ >>').v).toBe(false);
    expect(sub('<< not pipeline.git.tag and pipeline.git.branch >>').v).toBe('main');
    expect(sub('<< not (pipeline.git.tag or pipeline.git.branch) >>').v).toBe(false);
    expect(sub('<< pipeline.number >= 5 >>').v).toBe(true);
    expect(sub('<< pipeline.number == "7" >>').v).toBe(false);
    expect(sub('<< pipeline.number != 7 >>').v).toBe(false);
  });
  it('reports type errors in expressions', () => {
    expect(sub('<< pipeline.git.branch > 3 >>').errors).toEqual(['> requires number operands']);
  });
  it('leaves text that is not a reference or expression alone (heredocs, redirections)', () => {
    expect(sub('cat <<EOF > x\nhi\nEOF\necho a >> log').v).toBe('cat <<EOF > x\nhi\nEOF\necho a >> log');
  });
  it('reports undeclared references with CircleCI wording', () => {
    expect(sub('<< parameters.nope >>').errors).toEqual(['Arguments referenced without declared parameters: parameters.nope']);
    expect(sub('x << pipeline.parameters.nope >>').errors).toEqual(['Arguments referenced without declared parameters: pipeline.parameters.nope']);
    expect(sub('<< matrix.os >>').errors).toEqual(['Arguments referenced without declared parameters: matrix.os']);
    expect(sub('<< parameters.s >>', scope({ params: null })).errors).toEqual(['Arguments referenced without declared parameters: parameters.s']);
  });
});

describe('parameter scope', () => {
  it('is lexical: a command cannot see its caller’s parameters', async () => {
    const r = await compile(yml`
      version: 2.1
      commands:
        say:
          steps: [{run: echo << parameters.msg >>}]
      jobs:
        j:
          parameters: {msg: {type: string, default: hi}}
          docker: [{image: x}]
          steps: [say]
      workflows: {w: {jobs: [j]}}
    `);
    expect(messages(r)).toEqual(['Arguments referenced without declared parameters: parameters.msg']);
    expect(r.diagnostics[0].path).toBe('commands.say.steps[0].run');
    expect(r.diagnostics[0].line).toBe(4);
  });
  it('forwards parameters explicitly', async () => {
    const c = await compiled(yml`
      version: 2.1
      commands:
        say:
          parameters: {saywhat: {type: string}}
          steps: [{run: echo << parameters.saywhat >>}]
      jobs:
        j:
          parameters: {msg: {type: string, default: hi}}
          docker: [{image: x}]
          steps: [{say: {saywhat: << parameters.msg >>}}]
      workflows: {w: {jobs: [j]}}
    `);
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'echo hi' } }]);
  });
  it('rejects parameters.x in workflows', async () => {
    const r = await compile(yml`
      version: 2.1
      jobs:
        j:
          parameters: {v: {type: string, default: a}}
          docker: [{image: x}]
          steps: [checkout]
      workflows: {w: {jobs: [{j: {v: << parameters.v >>}}]}}
    `);
    expect(messages(r)).toEqual(['Arguments referenced without declared parameters: parameters.v']);
  });
  it('makes pipeline parameters visible in project elements but not inside inline orbs', async () => {
    const r = await compile(yml`
      version: 2.1
      parameters: {v: {type: string, default: "1"}}
      orbs:
        o:
          jobs:
            t:
              docker: [{image: x}]
              steps: [{run: echo << pipeline.parameters.v >>}]
      jobs:
        j:
          docker: [{image: "img:<< pipeline.parameters.v >>"}]
          steps: [checkout]
      workflows: {w: {jobs: [j, o/t]}}
    `);
    expect(messages(r)).toEqual(['Arguments referenced without declared parameters: pipeline.parameters.v']);
    expect(r.diagnostics.find((d) => d.severity === 'error')?.path).toBe('orbs.o.jobs.t.steps[0].run');
  });
  it('pipeline values are visible everywhere, including orbs', async () => {
    const c = await compiled(yml`
      version: 2.1
      orbs:
        o:
          jobs:
            t:
              docker: [{image: x}]
              steps: [{run: echo << pipeline.git.branch >>}]
      workflows: {w: {jobs: [o/t]}}
    `);
    expect(c.jobs['o/t'].steps).toEqual([{ run: { command: 'echo main' } }]);
  });
  it('does not re-substitute argument values (escaped << passed to a command stays literal)', async () => {
    const c = await compiled(yml`
      version: 2.1
      commands:
        r:
          parameters: {c: {type: string}}
          steps: [{run: << parameters.c >>}]
      jobs:
        j:
          docker: [{image: x}]
          steps: [{r: {c: 'cat \\<< parameters.x >>'}}]
      workflows: {w: {jobs: [j]}}
    `);
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'cat << parameters.x >>' } }]);
  });
  it('substitutes typed values in job fields (parallelism, booleans)', async () => {
    const c = await compiled(yml`
      version: 2.1
      jobs:
        j:
          parameters: {p: {type: integer, default: 4}, dlc: {type: boolean, default: true}}
          parallelism: << parameters.p >>
          machine: {image: u, docker_layer_caching: << parameters.dlc >>}
          steps: [checkout]
      workflows: {w: {jobs: [j]}}
    `);
    expect(c.jobs.j.parallelism).toBe(4);
    expect(c.jobs.j.machine.docker_layer_caching).toBe(true);
  });
  it('supports expressions in job fields', async () => {
    const c = await compiled(yml`
      version: 2.1
      jobs:
        j:
          parallelism: << pipeline.git.branch == "main" and 10 or 1 >>
          docker: [{image: x}]
          steps: [checkout]
      workflows: {w: {jobs: [{j: {context: << pipeline.git.branch == "main" and "org-global" or "project-global" >>}}]}}
    `);
    expect(c.jobs.j.parallelism).toBe(10);
    expect(c.workflows.w.jobs).toEqual([{ j: { context: 'org-global' } }]);
  });
});

describe('pipeline values in environment', () => {
  it('renders absent pipeline values as <nil> inside environment maps only', async () => {
    const c = await compiled(yml`
      version: 2.1
      jobs:
        j:
          docker: [{image: x}]
          environment: {TAG: << pipeline.git.tag >>, BRANCH: << pipeline.git.branch >>}
          steps: [{run: {command: "echo [<< pipeline.git.tag >>]", environment: {T: "t=<< pipeline.git.tag >>"}}}]
      workflows: {w: {jobs: [j]}}
    `);
    expect(c.jobs.j.environment).toEqual([{ TAG: '<nil>' }, { BRANCH: 'main' }]);
    expect(c.jobs.j.steps).toEqual([{ run: { command: 'echo []', environment: { T: 't=<nil>' } } }]);
  });
});
