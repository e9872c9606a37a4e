// JUnit XML → test cases for store_test_results. Handles `<testsuites>` or a bare
// `<testsuite>` root, suites nested in suites, `<failure>` / `<error>` / `<skipped>`
// children (message attribute and body), `time` in seconds, and `classname` / `file` /
// `filepath` inherited from the enclosing suites when a test case has none.
// Parser: fast-xml-parser (npm, ^5).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { TestCaseResult } from './outputs-client.ts';

const ARRAYS = new Set(['testsuites', 'testsuite', 'testcase', 'failure', 'error', 'skipped']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ARRAYS.has(name),
});

type Node = Record<string, unknown>;

export class JUnitError extends Error {}

function attr(node: Node, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object') {
    const t = (v as Node)['#text'];
    return typeof t === 'string' ? t : t === undefined ? '' : String(t);
  }
  return '';
}

function seconds(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v.replace(/,/g, '').trim());
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function list(v: unknown): Node[] {
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? (x as Node) : { '#text': x }));
  return v === undefined ? [] : [v && typeof v === 'object' ? (v as Node) : { '#text': v }];
}

/** `message` attribute and body of a failure/error/skipped element, without repeating one in the other. */
function messageOf(el: Node): string {
  const m = (attr(el, 'message') ?? '').trim();
  const body = text(el).trim();
  if (!m) return body;
  if (!body || body.includes(m)) return body || m;
  return `${m}\n${body}`;
}

interface Inherited {
  suite: string;
  file: string;
}

/** Parses one JUnit XML document; `source` names where it came from (kept on every test). */
export function parseJUnit(xml: string, source = ''): TestCaseResult[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new JUnitError(`invalid XML at line ${valid.err.line}: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Node;
  const out: TestCaseResult[] = [];

  const visitCase = (tc: Node, inh: Inherited) => {
    const failures = list(tc.failure);
    const errors = list(tc.error);
    const skipped = list(tc.skipped);
    let result: TestCaseResult['result'] = 'success';
    let message = '';
    if (failures.length > 0) {
      result = 'failure';
      message = failures.map(messageOf).filter(Boolean).join('\n');
    } else if (errors.length > 0) {
      result = 'error';
      message = errors.map(messageOf).filter(Boolean).join('\n');
    } else if (skipped.length > 0 || /^(skipped|disabled|ignored)$/i.test(attr(tc, 'status') ?? '')) {
      result = 'skipped';
      message = skipped.map(messageOf).filter(Boolean).join('\n');
    }
    out.push({
      name: attr(tc, 'name') ?? '',
      classname: attr(tc, 'classname') ?? attr(tc, 'class') ?? inh.suite,
      file: attr(tc, 'file') ?? attr(tc, 'filepath') ?? inh.file,
      result,
      message,
      run_time: seconds(attr(tc, 'time')),
      source,
    });
  };

  const visitSuite = (suite: Node, inh: Inherited) => {
    const here: Inherited = { suite: attr(suite, 'name') ?? inh.suite, file: attr(suite, 'file') ?? attr(suite, 'filepath') ?? inh.file };
    for (const tc of list(suite.testcase)) visitCase(tc, here);
    for (const s of list(suite.testsuite)) visitSuite(s, here);
    for (const s of list(suite.testsuites)) visitSuite(s, here);
  };

  const roots = [...list(doc.testsuites), ...list(doc.testsuite)];
  if (roots.length === 0) throw new JUnitError('not a JUnit report (no <testsuites> or <testsuite> element)');
  for (const r of roots) visitSuite(r, { suite: '', file: '' });
  return out;
}
