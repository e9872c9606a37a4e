// Rendering the compiled config as YAML, with `config process`-style orb header comments.
//
// The output is defined as `yaml`'s `stringify(compiled, STRINGIFY_OPTIONS)`. Going through a
// yaml Document (a node per value, a pair per key, a visit for tags, a context object per level)
// is the most expensive step of a compile, so plain data (maps, lists, strings, numbers, booleans,
// null) is written here directly, in the same layout as `yaml`'s block style (2-space indent,
// `indentSeq: false`, no line folding). Every scalar still goes through `yaml`'s own scalar
// stringifiers (`stringifyString` / `stringifyNumber`) with the same context `stringify` gives
// them, so quoting and block-scalar decisions are `yaml`'s. Anything else (class instances,
// dates, very long keys ...) falls back to `stringify` itself.
import { Document, stringify, type Scalar } from 'yaml';
import { stringifyNumber, stringifyString, type StringifyContext } from 'yaml/util';
import type { CompiledConfig } from './compiled.ts';

const STRINGIFY_OPTIONS = { version: '1.1', lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false } as const;

/** A compiled config as `config process` prints it: its document, in the config's key order. */
export function renderCompiled(config: CompiledConfig, orbs: { ref: string; resolved: string }[]): string {
  let header = '';
  for (const o of orbs) header += `# Orb '${o.ref}' resolved to '${o.resolved}'\n`;
  return header + renderYaml(config.document);
}

/** `stringify(value, STRINGIFY_OPTIONS)`, computed without building a yaml Document when `value` is plain data. */
export function renderYaml(value: unknown): string {
  if (isPlainMap(value)) {
    const r = new Renderer();
    r.map(value, 0);
    if (!r.bailed) return r.finish();
  }
  return stringify(value, STRINGIFY_OPTIONS);
}

/** The schema and options `stringify(_, STRINGIFY_OPTIONS)` renders scalars with. */
const template = new Document(null, STRINGIFY_OPTIONS);
const options = Object.assign(
  {
    blockQuote: true,
    commentString: (s: string) => s.replace(/^(?!$)(?: $)?/gm, '#'),
    defaultKeyType: null,
    defaultStringType: 'PLAIN',
    directives: null,
    doubleQuotedAsJSON: false,
    doubleQuotedMinMultiLineLength: 40,
    falseStr: 'false',
    flowCollectionPadding: true,
    indentSeq: true,
    lineWidth: 80,
    minContentWidth: 20,
    nullStr: 'null',
    simpleKeys: false,
    singleQuote: null,
    trailingComma: false,
    trueStr: 'true',
    verifyAliasOrder: true,
  },
  template.schema.toStringOptions,
  STRINGIFY_OPTIONS,
) as unknown as StringifyContext['options'];

/**
 * `stringify` picks a scalar's tag among all that identify its value, preferring ones with a test:
 * for strings that is only YAML 1.1's merge tag, which writes `<<` as a plain `<<`.
 */
const MERGE_KEY = '<<';
const mergeTagWritesPlain = template.schema.tags.some((t) => t.tag === 'tag:yaml.org,2002:merge' && t.identify?.(MERGE_KEY) === true);

/** Keys longer than this might be written as explicit `? key` pairs by `yaml`: left to it. */
const MAX_KEY = 1000;
const INDENT_STEP = '  ';

/** The part of a Scalar node the scalar stringifiers read (a plain, untyped value). */
function scalarOf(value: unknown): Scalar {
  return { value } as unknown as Scalar;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isPlainList(v: unknown): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
}

/** Pieces written before they are joined into a chunk (the buffer is reused: no growth, no cons strings). */
const CHUNK_PARTS = 1024;

/** Indentation strings by depth, and the same after a newline (shared by every render). */
const INDENTS: string[] = [''];
const NEWLINE_INDENTS: string[] = ['\n'];
function indentOf(depth: number): string {
  while (INDENTS.length <= depth) {
    INDENTS.push(INDENTS[INDENTS.length - 1]! + INDENT_STEP);
    NEWLINE_INDENTS.push(`\n${INDENTS[INDENTS.length - 1]!}`);
  }
  return INDENTS[depth]!;
}
function newlineIndent(depth: number): string {
  indentOf(depth);
  return NEWLINE_INDENTS[depth]!;
}

/**
 * Writes plain data in `yaml`'s block layout. The output is appended piece by piece to a fixed
 * buffer that is joined into a chunk when full, and the chunks once at the end: concatenating
 * line by line made a cons string per piece (most of a compile's garbage was the rendering's).
 */
class Renderer {
  bailed = false;
  private readonly parts: string[] = new Array<string>(CHUNK_PARTS).fill('');
  private n = 0;
  private readonly chunks: string[] = [];
  /** Scalar strings rendered in this render: single-line ones by text (the same at every non-top-level indent), multi-line ones by depth and text. */
  private readonly valueMemo = new Map<string, string>();
  private readonly blockMemo: Map<string, string>[] = [];
  /** Keys with their colon, by text: top-level keys (depth 1) apart, as `---` is quoted only there. */
  private readonly keyMemo = new Map<string, string>();
  private readonly topKeyMemo = new Map<string, string>();

  private put(s: string): void {
    this.parts[this.n++] = s;
    if (this.n === CHUNK_PARTS) {
      this.chunks.push(this.parts.join(''));
      this.n = 0;
    }
  }

  /** The text written, followed by a newline. */
  finish(): string {
    this.put('\n');
    if (this.n > 0) this.chunks.push(this.parts.slice(0, this.n).join(''));
    this.n = 0;
    return this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join('');
  }

  private ctx(indent: string, implicitKey: boolean): StringifyContext {
    return {
      actualString: true,
      allNullValues: false,
      anchors: new Set(),
      doc: template,
      implicitKey,
      indent,
      indentStep: INDENT_STEP,
      inFlow: null,
      flowCollectionPadding: ' ',
      options,
    };
  }

  /** A map key and its colon as `stringifyPair` writes them (the pair's indent is at `depth`). */
  private key(k: string, depth: number): string {
    // Document markers (`---`) in a key are quoted only for top-level keys.
    const memo = depth === 1 ? this.topKeyMemo : this.keyMemo;
    let s = memo.get(k);
    if (s === undefined) {
      s = k === MERGE_KEY && mergeTagWritesPlain ? `${MERGE_KEY}:` : `${stringifyString(scalarOf(k), this.ctx(indentOf(depth), true))}:`;
      memo.set(k, s);
    }
    if (s.length > MAX_KEY + 1) this.bailed = true;
    return s;
  }

  /** A scalar value; `undefined` for anything that is not one this renderer knows. */
  private scalar(v: unknown, depth: number): string | undefined {
    switch (typeof v) {
      case 'string': {
        if (v === MERGE_KEY && mergeTagWritesPlain) return MERGE_KEY;
        // A multi-line string (a block scalar) depends on its indent: memoized per depth (a
        // map per depth, so the long text is not copied into a new key each time).
        let memo = this.valueMemo;
        if (v.includes('\n')) memo = this.blockMemo[depth] ??= new Map<string, string>();
        let s = memo.get(v);
        if (s === undefined) {
          s = stringifyString(scalarOf(v), this.ctx(indentOf(depth), false));
          memo.set(v, s);
        }
        return s;
      }
      case 'number':
        return stringifyNumber(scalarOf(v));
      case 'boolean':
        return v ? 'true' : 'false';
      case 'undefined':
        return 'null';
      case 'object':
        return v === null ? 'null' : undefined;
      default:
        return undefined;
    }
  }

  /** A block map whose pairs start at the column of `depth` (`{}` when it has no pair to write). */
  map(m: Record<string, unknown>, depth: number): void {
    const inner = depth + 1;
    let first = true;
    // for-in, not Object.keys: no key array per map (plain data: the keys are its own).
    for (const k in m) {
      const v = m[k];
      if (v === undefined) continue;
      if (!first) this.put(newlineIndent(depth));
      first = false;
      this.put(this.key(k, inner));
      if (isPlainList(v)) {
        // indentSeq: false — the `- ` is part of the indentation.
        if (v.length === 0) this.put(' []');
        else {
          this.put(newlineIndent(depth));
          this.list(v, depth);
        }
      } else if (isPlainMap(v)) {
        if (isEmpty(v)) this.put(' {}');
        else {
          this.put(newlineIndent(inner));
          this.map(v, inner);
        }
      } else {
        const s = this.scalar(v, inner);
        if (s === undefined) {
          this.bailed = true;
          return;
        }
        if (s !== '' && s[0] !== '\n') this.put(' ');
        this.put(s);
      }
      if (this.bailed) return;
    }
    if (first) this.put('{}');
  }

  /** A non-empty block list whose `- ` starts at the column of `depth`. */
  list(l: unknown[], depth: number): void {
    const inner = depth + 1;
    for (let i = 0; i < l.length; i++) {
      const v = l[i];
      this.put(i === 0 ? '- ' : newlineIndent(depth));
      if (i !== 0) this.put('- ');
      if (isPlainList(v)) {
        if (v.length === 0) this.put('[]');
        else this.list(v, inner);
      } else if (isPlainMap(v)) {
        if (isEmpty(v)) this.put('{}');
        else this.map(v, inner);
      } else {
        const s = this.scalar(v, inner);
        if (s === undefined) {
          this.bailed = true;
          return;
        }
        this.put(s);
      }
      if (this.bailed) return;
    }
  }
}

/** True when a map renders as `{}` (no keys, or only keys whose value is undefined). */
function isEmpty(m: Record<string, unknown>): boolean {
  for (const k in m) if (Object.hasOwn(m, k) && m[k] !== undefined) return false;
  return true;
}
