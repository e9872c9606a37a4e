// YAML parsing (YAML 1.1 booleans, anchors/aliases, merge keys) and a path → line/column locator.
import { Alias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';
import type { Diagnostic } from './types.ts';

/** A config path as segments: `['jobs', 'build', 'steps', 2, 'run']`. */
export type PathSeg = string | number;
export type Path = readonly PathSeg[];

/** Renders a path as `jobs.build.steps[2].run`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

// YAML 1.1 booleans as CircleCI's (SnakeYAML) parser reads them: true/false, yes/no, on/off in
// any of the usual cases. `y`/`n` stay strings. Timestamps, octal and sexagesimal are not read.
const boolRe = {
  true: /^(?:[Tt]rue|TRUE|[Yy]es|YES|[Oo]n|ON)$/,
  false: /^(?:[Ff]alse|FALSE|[Nn]o|NO|[Oo]ff|OFF)$/,
};
const yaml11True = {
  identify: (v: unknown) => v === true,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: boolRe.true,
  resolve: () => new Scalar(true),
};
const yaml11False = {
  identify: (v: unknown) => v === false,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: boolRe.false,
  resolve: () => new Scalar(false),
};

export interface ParsedYaml {
  value: unknown;
  diagnostics: Diagnostic[];
  locate: Locator;
}

export type Locator = (path: Path) => { line: number; column: number } | undefined;

const noLocator: Locator = () => undefined;

/** Parses YAML text into plain data. Syntax errors become diagnostics. */
export function parseYaml(source: string): ParsedYaml {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(source, {
      schema: 'core',
      merge: true,
      uniqueKeys: false,
      lineCounter,
      prettyErrors: false,
      customTags: (tags) => [
        yaml11True,
        yaml11False,
        ...tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:bool'),
      ],
    });
  } catch (err) {
    return { value: null, diagnostics: [{ severity: 'error', message: `YAML: ${String(err)}`, path: '' }], locate: noLocator };
  }
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    diagnostics.push({ severity: 'error', message: `YAML syntax error: ${firstLine(e.message)}`, path: '', line: pos.line, column: pos.col });
  }
  if (diagnostics.length > 0) return { value: null, diagnostics, locate: noLocator };
  // Map keys keep their text: a job or workflow named `on`/`no` is not a boolean.
  keepKeyText(doc.contents);
  let value: unknown;
  try {
    // Real configs alias heavily (ethereum/solidity needs > 100); the limit still stops alias bombs.
    value = doc.toJS({ maxAliasCount: 10_000 });
  } catch (err) {
    return { value: null, diagnostics: [{ severity: 'error', message: `YAML: ${String(err)}`, path: '' }], locate: noLocator };
  }
  const locate: Locator = (path) => {
    const node = findNode(doc, doc.contents as Node | null, path);
    const start = node?.range?.[0];
    if (start === undefined) return undefined;
    const pos = lineCounter.linePos(start);
    return { line: pos.line, column: pos.col };
  };
  return { value, diagnostics, locate };
}

/** Turns boolean map keys back into their source text (walks the node tree once, not aliases). */
function keepKeyText(node: unknown): void {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isMap(n)) {
      for (const pair of n.items) {
        const key = pair.key;
        if (isScalar(key) && typeof key.value === 'boolean' && typeof key.source === 'string') key.value = key.source;
        stack.push(pair.value);
      }
    } else if (isSeq(n)) {
      for (const item of n.items) stack.push(item);
    }
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function deref(doc: Document.Parsed, node: unknown): Node | null {
  let n = node;
  for (let i = 0; i < 100 && n instanceof Alias; i++) n = n.resolve(doc);
  return (n as Node | null | undefined) ?? null;
}

/** Finds the node at `path`, following aliases and merge keys; falls back to the deepest found ancestor. */
function findNode(doc: Document.Parsed, root: Node | null, path: Path): Node | null {
  let node = deref(doc, root);
  for (const seg of path) {
    if (node === null) return null;
    let next: Node | null = null;
    if (isSeq(node) && typeof seg === 'number') {
      next = deref(doc, node.items[seg]);
    } else if (isMap(node)) {
      next = lookupKey(doc, node, String(seg), 0);
    }
    if (next === null) return node;
    node = next;
  }
  return node;
}

function lookupKey(doc: Document.Parsed, map: Node, key: string, depth: number): Node | null {
  if (!isMap(map) || depth > 20) return null;
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (k === key) return deref(doc, pair.value) ?? (pair.key as Node);
  }
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (k !== '<<') continue;
    const v = deref(doc, pair.value);
    const sources = isSeq(v) ? v.items.map((i) => deref(doc, i)) : [v];
    for (const s of sources) {
      const found = s ? lookupKey(doc, s, key, depth + 1) : null;
      if (found) return found;
    }
  }
  return null;
}
