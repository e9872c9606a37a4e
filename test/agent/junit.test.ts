// JUnit XML parsing for store_test_results.
import { describe, expect, it } from 'vitest';
import { JUnitError, parseJUnit } from '../../src/agent/junit.ts';
import { timingsMap } from '../../src/agent/outputs-client.ts';
import { cacheArchiveName } from '../../src/agent/steps/save-cache.ts';
import { artifactPrefix } from '../../src/agent/steps/store-artifacts.ts';
import { cleanRelative, globRegExp, withoutNested } from '../../src/agent/steps/persist-to-workspace.ts';

describe('parseJUnit', () => {
  it('reads testsuites with passes, failures, errors and skips', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all" tests="5">
  <testsuite name="math" time="1.5" file="test/math.test.js">
    <testcase classname="math.add" name="adds" time="0.25"/>
    <testcase classname="math.sub" name="subtracts &amp; fails" time="1,000.5">
      <failure message="expected 1 to be 2" type="AssertionError">AssertionError: expected 1 to be 2
    at test/math.test.js:10:5</failure>
    </testcase>
    <testcase classname="math.div" name="errors" time="0.1"><error message="boom"/></testcase>
    <testcase classname="math.mul" name="skipped one"><skipped message="not today"/></testcase>
    <testcase name="no class" file="test/other.test.js" time="0"><system-out>hi</system-out></testcase>
  </testsuite>
</testsuites>`;
    expect(parseJUnit(xml, 'mocha')).toEqual([
      { name: 'adds', classname: 'math.add', file: 'test/math.test.js', result: 'success', message: '', run_time: 0.25, source: 'mocha' },
      {
        name: 'subtracts & fails',
        classname: 'math.sub',
        file: 'test/math.test.js',
        result: 'failure',
        message: 'AssertionError: expected 1 to be 2\n    at test/math.test.js:10:5',
        run_time: 1000.5,
        source: 'mocha',
      },
      { name: 'errors', classname: 'math.div', file: 'test/math.test.js', result: 'error', message: 'boom', run_time: 0.1, source: 'mocha' },
      { name: 'skipped one', classname: 'math.mul', file: 'test/math.test.js', result: 'skipped', message: 'not today', run_time: 0, source: 'mocha' },
      { name: 'no class', classname: 'math', file: 'test/other.test.js', result: 'success', message: '', run_time: 0, source: 'mocha' },
    ]);
  });

  it('reads a bare testsuite root, nested suites, CDATA bodies and message + body', () => {
    const xml = `<testsuite name="outer" filepath="spec/a_spec.rb">
  <testcase classname="A" name="one" time="2"/>
  <testsuite name="inner">
    <testcase name="two" time="3"><failure message="short"><![CDATA[long <details>]]></failure></testcase>
    <testsuite name="deeper" file="spec/b_spec.rb">
      <testcase classname="B" name="three" time="4"><skipped/></testcase>
    </testsuite>
  </testsuite>
</testsuite>`;
    expect(parseJUnit(xml).map((t) => [t.classname, t.name, t.file, t.result, t.message, t.run_time])).toEqual([
      ['A', 'one', 'spec/a_spec.rb', 'success', '', 2],
      ['inner', 'two', 'spec/a_spec.rb', 'failure', 'short\nlong <details>', 3],
      ['B', 'three', 'spec/b_spec.rb', 'skipped', '', 4],
    ]);
  });

  it('rejects what is not JUnit XML', () => {
    expect(() => parseJUnit('<html><body/></html>')).toThrow(JUnitError);
    expect(() => parseJUnit('<testsuite><testcase></testsuite>')).toThrow(/invalid XML/);
  });
});

describe('timingsMap', () => {
  it('counts the newest run of each test; sums per file and class', () => {
    const map = timingsMap([
      { file: './t/a.test.js', classname: 'A', name: 'x', run_time: 2 },
      { file: 't/a.test.js', classname: 'A', name: 'y', run_time: 3 },
      { file: 't/b.test.js', classname: 'B', name: 'z', run_time: 1 },
      { file: './t/a.test.js', classname: 'A', name: 'x', run_time: 100 }, // an older run of A.x
    ]);
    expect(map).toMatchObject({ 't/a.test.js': 5, 't/b.test.js': 1, A: 5, B: 1, 'A.x': 2, x: 2, 'B.z': 1 });
  });
});

describe('path helpers', () => {
  it.each([
    ['*', 'a', true],
    ['*', 'a/b', false],
    ['dist/*.js', 'dist/app.js', true],
    ['dist/*.js', 'dist/sub/app.js', false],
    ['**/*.js', 'dist/sub/app.js', true],
    ['**/*.js', 'app.js', true],
    ['file?.txt', 'file1.txt', true],
    ['[ab].txt', 'b.txt', true],
    ['[^ab].txt', 'b.txt', false],
  ])('glob %s matches %s: %s', (pattern, p, hit) => {
    expect(globRegExp(pattern).test(p)).toBe(hit);
  });

  it('cleans workspace paths and drops nested ones', () => {
    expect(cleanRelative('./a/../b/')).toBe('b');
    expect(cleanRelative('.')).toBe('.');
    expect(cleanRelative('../x')).toBeUndefined();
    expect(withoutNested(['a/b', 'a', 'c/d', 'c/d/e'])).toEqual(['a', 'c/d']);
    expect(withoutNested(['a', '.'])).toEqual(['.']);
  });

  it('makes artifact prefixes relative', () => {
    expect(artifactPrefix('/tmp/artifacts/')).toBe('tmp/artifacts');
    expect(artifactPrefix('~/project/out')).toBe('project/out');
    expect(artifactPrefix('./reports')).toBe('reports');
    expect(artifactPrefix('../../etc')).toBe('etc');
  });

  it('names cache archive entries below $HOME by home/, the rest by root/', () => {
    expect(cacheArchiveName('/w/job/home', '/w/job/home/project/node_modules')).toBe('home/project/node_modules');
    expect(cacheArchiveName('/w/job/home', '/w/job/home')).toBe('home/.');
    expect(cacheArchiveName('/w/job/home', '/w/job/homework')).toBe('root/w/job/homework');
    expect(cacheArchiveName('/w/job/home', '/tmp/cache')).toBe('root/tmp/cache');
  });
});
