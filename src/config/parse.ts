// YAML parsing (YAML 1.1 booleans, anchors/aliases, merge keys) and a path → line/column locator.
import { Alias, isCollection, isMap, isNode, isPair, isScalar, isSeq, LineCounter, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';
import { fastParseYaml } from './fast-yaml.ts';
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
  /**
   * Set when the fast path read the text: the Document path's reading of it (made on first
   * call, shared with `locate`). The two parsers can disagree at the edges of the YAML spec
   * (js-yaml reads a flow list whose lines are indented less than its key; `yaml` rejects it).
   */
  reference?: () => ParsedYaml;
}

export type Locator = (path: Path) => { line: number; column: number } | undefined;

const noLocator: Locator = () => undefined;

/**
 * Parses YAML text into plain data. Syntax errors become diagnostics. The common case takes the
 * fast path (js-yaml, no Document kept); the Document path runs when the fast path cannot answer
 * for the text, or, lazily, when a diagnostic needs a position.
 */
export function parseYaml(source: string): ParsedYaml {
  const fast = fastParseYaml(source);
  if (fast === undefined) return parseYamlDocument(source);
  let doc: ParsedYaml | undefined;
  const reference = () => (doc ??= parseYamlDocument(source));
  return { value: fast.value, diagnostics: [], locate: (path) => reference().locate(path), reference };
}

/** Parses YAML text through `yaml`'s Document (positions kept for the locator). */
export function parseYamlDocument(source: string): ParsedYaml {
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
    return { value: null, diagnostics: [dataError(err, lineCounter)], locate: noLocator };
  }
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    // The parser recurses per nesting level: a document nested thousands deep overflows its stack.
    if (/Maximum call stack size exceeded/.test(e.message)) {
      if (!diagnostics.some((d) => d.message === TOO_DEEP)) diagnostics.push({ severity: 'error', message: TOO_DEEP, path: '', line: pos.line, column: pos.col });
      continue;
    }
    diagnostics.push({ severity: 'error', message: `YAML syntax error: ${firstLine(e.message)}`, path: '', line: pos.line, column: pos.col });
  }
  if (diagnostics.length > 0) return { value: null, diagnostics, locate: noLocator };
  // Map keys keep their text: a job or workflow named `on`/`no` is not a boolean.
  keepKeyText(doc.contents);
  let value: unknown;
  try {
    // Real configs alias heavily (ethereum/solidity needs > 100); the limit still stops alias bombs.
    value = toData(doc, MAX_ALIAS_COUNT);
  } catch (err) {
    return { value: null, diagnostics: [dataError(err, lineCounter)], locate: noLocator };
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

const MAX_ALIAS_COUNT = 10_000;

/** Deepest nesting of maps and lists a config may have (docs/limits.md). */
export const MAX_NESTING = 500;
const TOO_DEEP = `The YAML nests maps and lists too deeply here: at most ${MAX_NESTING} levels are allowed`;

/** A problem found while turning the YAML into data, at a source offset. */
class YamlDataError extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
  ) {
    super(message);
  }
}

/** The diagnostic for an error thrown while reading the YAML, in the user's words and located. */
function dataError(err: unknown, lines: LineCounter): Diagnostic {
  if (err instanceof YamlDataError) {
    const d: Diagnostic = { severity: 'error', message: err.message, path: '' };
    if (err.offset !== undefined) {
      const pos = lines.linePos(err.offset);
      d.line = pos.line;
      d.column = pos.col;
    }
    return d;
  }
  const text = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && /call stack/.test(text)) return { severity: 'error', message: TOO_DEEP.replace(' here', ''), path: '' };
  if (/Excessive alias count/.test(text)) return { severity: 'error', message: aliasBomb(undefined), path: '' };
  const unresolved = /Unresolved alias[^:]*: (.*)$/.exec(text);
  if (unresolved) return { severity: 'error', message: noAnchor(unresolved[1]!), path: '' };
  return { severity: 'error', message: `YAML: ${text}`, path: '' };
}

function aliasBomb(anchor: string | undefined): string {
  const which = anchor === undefined ? 'An anchor' : `The anchor &${anchor}`;
  return `${which} is expanded too many times through aliases: the document would grow past ${MAX_ALIAS_COUNT} alias expansions (nested aliases multiply, as in a "billion laughs" attack)`;
}

function noAnchor(name: string): string {
  return `The alias *${name} refers to no anchor: define &${name} before the alias uses it`;
}

/**
 * `doc.toJS({ maxAliasCount })`, the same values and the same errors, without its cost for
 * aliases: to count the aliases inside an anchor, `yaml` walks the whole document once per
 * nested alias (ethereum/solidity: 45 ms of a 50 ms toJS). This is `yaml`'s toJS (keep: true, no
 * reviver, plain objects, merge keys, the same alias counting) over a document made only of maps,
 * lists, scalars and aliases with scalar keys; any other document goes to `doc.toJS` itself.
 */
function toData(doc: Document.Parsed, maxAliasCount: number): unknown {
  const conv = new ToData(maxAliasCount);
  return conv.prepare(doc.contents, 0) ? conv.value(doc.contents) : doc.toJS({ maxAliasCount });
}

interface AnchorData {
  aliasCount: number;
  count: number;
  res: unknown;
}

class ToData {
  /** Anchored nodes converted so far (as `ctx.anchors` in yaml's toJS). */
  private readonly anchors = new Map<unknown, AnchorData>();
  /** What each alias resolves to: the last node before it with its anchor, in document order. */
  private readonly targets = new Map<Alias, Node | undefined>();
  private readonly lastAnchored = new Map<string, Node>();
  /** Anchored nodes being converted: an alias to one of them would make the data a cycle. */
  private readonly open = new Set<unknown>();

  constructor(private readonly maxAliasCount: number) {}

  /**
   * Walks the tree in document order (as yaml's `visit`), resolving aliases; false when the
   * document holds anything this converter does not reproduce exactly.
   */
  prepare(node: unknown, depth: number): boolean {
    if (node === null || node === undefined) return true;
    if (depth > MAX_NESTING) throw new YamlDataError(TOO_DEEP, (node as Node).range?.[0]);
    if (!isNode(node)) return false;
    if (node instanceof Alias) {
      if (node.constructor !== Alias) return false;
      this.targets.set(node, this.lastAnchored.get(node.source));
      return true;
    }
    if (node.anchor) this.lastAnchored.set(node.anchor, node);
    if (node instanceof Scalar) return node.constructor === Scalar;
    if (node instanceof YAMLSeq && node.constructor === YAMLSeq) {
      for (const item of node.items) if (isPair(item) || !this.prepare(item, depth + 1)) return false;
      return true;
    }
    if (node instanceof YAMLMap && node.constructor === YAMLMap) {
      for (const pair of node.items) {
        if (!(pair instanceof Pair) || !(pair.key instanceof Scalar) || pair.key.constructor !== Scalar) return false;
        const k = pair.key as Scalar & { addToJSMap?: unknown };
        // Merge keys are the plain `<<` scalars yaml gives its addToJSMap hook; a look-alike is left to yaml.
        const mergeLike = k.value === '<<' || typeof k.value === 'symbol';
        if (mergeLike !== (typeof k.addToJSMap === 'function')) return false;
        if (!this.prepare(k, depth + 1) || !this.prepare(pair.value, depth + 1)) return false;
      }
      return true;
    }
    return false;
  }

  /** yaml's `toJS(node, _, ctx)`. */
  value(node: unknown): unknown {
    if (!isNode(node)) return node;
    if ((isScalar(node) || isCollection(node)) && node.anchor) {
      const data: AnchorData = { aliasCount: 0, count: 1, res: undefined };
      this.anchors.set(node, data);
      this.open.add(node);
      try {
        return this.convert(node, data);
      } finally {
        this.open.delete(node);
      }
    }
    return this.convert(node, null);
  }

  private convert(node: Node, data: AnchorData | null): unknown {
    if (node instanceof Scalar) {
      if (data) data.res = node.value;
      return node.value;
    }
    if (node instanceof YAMLSeq) {
      const out: unknown[] = [];
      if (data) data.res = out;
      for (const item of node.items) out.push(this.value(item));
      return out;
    }
    if (node instanceof YAMLMap) {
      const out: Record<string, unknown> = {};
      if (data) data.res = out;
      for (const pair of node.items as Pair<Scalar, unknown>[]) this.addPair(out, pair);
      return out;
    }
    // An alias (yaml's Alias.toJSON).
    const alias = node as Alias;
    const source = this.resolve(alias);
    if (!source) throw new YamlDataError(noAnchor(alias.source), alias.range?.[0]);
    return this.anchors.get(source)?.res;
  }

  /** yaml's addPairToJSMap into a plain object. */
  private addPair(map: Record<string, unknown>, { key, value }: Pair<Scalar, unknown>): void {
    if (typeof (key as { addToJSMap?: unknown }).addToJSMap === 'function') {
      this.merge(map, value);
      return;
    }
    const jsKey = this.value(key);
    const stringKey = jsKey === null ? '' : String(jsKey);
    const jsValue = this.value(value);
    if (stringKey in map) Object.defineProperty(map, stringKey, { value: jsValue, writable: true, enumerable: true, configurable: true });
    else map[stringKey] = jsValue;
  }

  /** yaml's addPairToJSMap into a Map (a merge source is read as one). */
  private addPairToMap(map: Map<unknown, unknown>, { key, value }: Pair<Scalar, unknown>): void {
    if (typeof (key as { addToJSMap?: unknown }).addToJSMap === 'function') {
      this.merge(map, value);
      return;
    }
    const jsKey = this.value(key);
    map.set(jsKey, this.value(value));
  }

  /** yaml's addMergeToJSMap. */
  private merge(map: Record<string, unknown> | Map<unknown, unknown>, value: unknown): void {
    const source = value instanceof Alias ? this.resolve(value) : value;
    if (source instanceof YAMLSeq) for (const it of source.items) this.mergeValue(map, it);
    else this.mergeValue(map, source);
  }

  private mergeValue(map: Record<string, unknown> | Map<unknown, unknown>, value: unknown): void {
    const source = value instanceof Alias ? this.resolve(value) : value;
    if (!isMap(source)) throw new Error('Merge sources must be maps or map aliases');
    const srcMap = new Map<unknown, unknown>();
    for (const pair of source.items as Pair<Scalar, unknown>[]) this.addPairToMap(srcMap, pair);
    for (const [key, v] of srcMap) {
      if (map instanceof Map) {
        if (!map.has(key)) map.set(key, v);
      } else if (!Object.prototype.hasOwnProperty.call(map, key as PropertyKey)) {
        Object.defineProperty(map, key as PropertyKey, { value: v, writable: true, enumerable: true, configurable: true });
      }
    }
  }

  /** yaml's Alias.resolve(doc, ctx): the target, counted against the alias limit. */
  private resolve(alias: Alias): Node | undefined {
    const found = this.targets.get(alias);
    if (found && this.open.has(found)) {
      throw new YamlDataError(`The alias *${alias.source} is inside its own anchor &${alias.source}: the value would contain itself`, alias.range?.[0]);
    }
    if (found) {
      let data = this.anchors.get(found);
      if (!data) {
        this.value(found);
        data = this.anchors.get(found);
      }
      if (data?.res === undefined) throw new ReferenceError('This should not happen: Alias anchor was not resolved?');
      if (this.maxAliasCount >= 0) {
        data.count += 1;
        if (data.aliasCount === 0) data.aliasCount = this.aliasCount(found);
        if (data.count * data.aliasCount > this.maxAliasCount) throw new YamlDataError(aliasBomb(alias.source), alias.range?.[0]);
      }
    }
    return found;
  }

  /** yaml's getAliasCount. */
  private aliasCount(node: unknown): number {
    if (node instanceof Alias) {
      const source = this.targets.get(node);
      const anchor = source && this.anchors.get(source);
      return anchor ? anchor.count * anchor.aliasCount : 0;
    }
    if (isCollection(node)) {
      let count = 0;
      for (const item of node.items) {
        const c = this.aliasCount(item);
        if (c > count) count = c;
      }
      return count;
    }
    if (isPair(node)) return Math.max(this.aliasCount(node.key), this.aliasCount(node.value));
    return 1;
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
