import { describe, expect, it } from 'vitest';
import {
  contextExpressionProblem,
  evaluateContextExpression,
  parseContextExpression,
  pipelineValueLookup,
} from '../../src/config/context-expression.ts';

const values = {
  'git.branch': 'main',
  'git.tag': '',
  'project.git_url': 'https://github.com/acme/app',
  'config_source': 'api',
  number: 42,
  in_setup: false,
  'pipeline.trigger_source': 'webhook',
};
const lookup = pipelineValueLookup(values);
const run = (src: string) => evaluateContextExpression(src, lookup);

describe('context expression evaluation', () => {
  const truthTable: [string, boolean][] = [
    ['pipeline.git.branch == "main"', true],
    ['pipeline.git.branch == "dev"', false],
    ['pipeline.git.branch != "dev"', true],
    ['pipeline.git.branch starts-with "ma"', true],
    ['pipeline.git.branch starts-with "x"', false],
    ['pipeline.git.branch matches /ma.*/', true],
    ['pipeline.git.branch matches /ma/', false], // full match
    ['pipeline.git.branch matches "m[a-z]+"', true],
    ['pipeline.number > 41', true],
    ['pipeline.number >= 42', true],
    ['pipeline.number < 42', false],
    ['pipeline.number <= 42', true],
    ['pipeline.number == 42', true],
    ['pipeline.number == "42"', false], // different types are never equal
    ['pipeline.number != "42"', true],
    ['pipeline.in_setup == false', true],
    ['true', true],
    ['false', false],
    ['not false', true],
    ['! true', false],
    ['!pipeline.in_setup', true],
    ['"anything"', true], // everything but false is true
    ['0', true],
    ['true and false', false],
    ['true or false', true],
    ['false or false or true', true],
    ['true and true and false', false],
    // and binds tighter than or
    ['true or true and false', true],
    ['(true or true) and false', false],
    // not binds tightest: `not foo and bar`
    ['not true and false', false],
    ['not (true and false)', true],
    // the documented example, over several lines
    ['pipeline.git.branch == "main"\n\tand not job.ssh.enabled\n\tand not (pipeline.config_source starts-with "api")', false],
    ['pipeline.git.branch == "main" and not job.ssh.enabled', true],
    ['pipeline.trigger_source == "webhook"', true], // prefixed keys work too
    ['pipeline.git.tag == ""', true],
    ['"say \\"hi\\"" == "say \\"hi\\""', true],
    ['"back\\\\slash" starts-with "back\\\\"', true],
    ['-1 < 0', true],
  ];
  for (const [src, want] of truthTable) {
    it(`${JSON.stringify(src)} → ${want}`, () => {
      const got = run(src);
      expect(got).toEqual({ value: want });
    });
  }

  const failClosed: [string, RegExp][] = [
    ['pipeline.schedule.name == "nightly"', /pipeline\.schedule\.name has no value/],
    ['pipeline.nope or true', /pipeline\.nope has no value/], // unknown variable fails the whole expression
    ['pipeline.git.branch > 1', /needs two numbers/],
    ['pipeline.number starts-with "4"', /starts-with needs two strings/],
    ['pipeline.number matches /4.*/', /matches needs a string/],
    ['pipeline.git.branch matches pipeline.number', /matches needs a regular expression/],
    ['job.unknown', /job\.unknown has no value/],
  ];
  for (const [src, why] of failClosed) {
    it(`fails closed: ${src}`, () => {
      const got = run(src);
      expect(got.value).toBe(false);
      expect('error' in got && got.error).toMatch(why);
    });
  }

  it('job.ssh.enabled defaults to false and may be given', () => {
    expect(run('job.ssh.enabled')).toEqual({ value: false });
    expect(evaluateContextExpression('not job.ssh.enabled', pipelineValueLookup({ 'job.ssh.enabled': true }))).toEqual({ value: false });
  });

  it('short-circuits and/or before reaching an unknown variable', () => {
    expect(run('false and pipeline.nope')).toEqual({ value: false });
    expect(run('true or pipeline.nope')).toEqual({ value: true });
  });

  it('evaluates a parsed expression too', () => {
    expect(evaluateContextExpression(parseContextExpression('pipeline.number == 42'), lookup)).toEqual({ value: true });
  });

  it('a syntax error evaluates to false with the problem', () => {
    expect(run('pipeline.git.branch ==')).toEqual({ value: false, error: 'unexpected end of expression at position 22' });
  });
});

describe('context expression syntax', () => {
  const valid = [
    'pipeline.git.branch == "main"',
    'pipeline.git.branch == "main" or pipeline.git.branch starts-with "integration-test"',
    'pipeline.git.branch == "main" and not job.ssh.enabled and not (pipeline.config_source starts-with "api")',
    '((true))',
    'pipeline.number >= 10 and pipeline.number < 20',
    'pipeline.git.tag matches /^v[0-9]+\\/x$/',
  ];
  for (const src of valid) {
    it(`accepts ${src}`, () => expect(contextExpressionProblem(src)).toBeUndefined());
  }

  const invalid: [string, string][] = [
    ['', 'expression is empty at position 0'],
    ['   ', 'expression is empty at position 0'],
    ['(pipeline.git.branch == "main"', "expected ')' but found end of expression at position 30"],
    ['pipeline.git.branch == "main', 'unterminated string literal at position 23'],
    ["pipeline.git.branch == 'main'", 'string literals use double quotes at position 23'],
    ['pipeline.git.branch = "main"', "unexpected character '=' at position 20"],
    ['pipeline.git.branch == "main" "extra"', 'unexpected string "extra" at position 30'],
    ['and true', "expected a value but found 'and' at position 0"],
    ['true and', 'unexpected end of expression at position 8'],
    ['pipeline.number > 1.5', 'numeric literals must be whole integers, got 1.5 at position 18'],
    ['"a\\nb" == "x"', 'invalid escape in string literal (only \\" and \\\\ are allowed) at position 2'],
    ['pipeline.git.branch matches /(/', 'invalid regular expression /(/ at position 28'],
    ['/main/ == pipeline.git.branch', "a regular expression can only be the right operand of 'matches' at position 7"],
    ['pipeline.parameters.deploy == true', 'pipeline parameters cannot be used in expression restrictions: pipeline.parameters.deploy at position 0'],
    [
      'pipeline.trigger_parameters.github_app.user == "x"',
      'pipeline.trigger_parameters values cannot be used in expression restrictions: pipeline.trigger_parameters.github_app.user at position 0',
    ],
    ['branch == "main"', "unknown variable 'branch' (variables are pipeline values such as pipeline.git.branch, or job.ssh.enabled) at position 0"],
    ['parameters.x', "unknown variable 'parameters.x' (variables are pipeline values such as pipeline.git.branch, or job.ssh.enabled) at position 0"],
    ['()', "expected a value but found ')' at position 1"],
  ];
  for (const [src, problem] of invalid) {
    it(`rejects ${JSON.stringify(src)}`, () => expect(contextExpressionProblem(src)).toBe(problem));
  }

  it('rejects very long expressions', () => {
    expect(contextExpressionProblem('true or '.repeat(1000) + 'true')).toMatch(/longer than 4096/);
  });
});

describe('context expression operator checks', () => {
  it('matches needs a regex or string literal on its right', () => {
    expect(contextExpressionProblem('pipeline.git.branch matches 1')).toBe("the right operand of 'matches' must be a /regular expression/ or a string at position 20");
    expect(contextExpressionProblem('pipeline.git.branch == /x/')).toBe("a regular expression can only be the right operand of 'matches' at position 20");
  });
});
