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
    const body = r.map(value, '');
    if (!r.bailed) return `${body}\n`;
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

class Renderer {
  bailed = false;
  /** Scalar strings rendered in this render: single-line ones by text (the same at every non-top-level indent), multi-line ones by indent and text. */
  private readonly valueMemo = new Map<string, string>();
  private readonly blockMemo = new Map<string, Map<string, string>>();
  private readonly keyMemo = new Map<string, string>();
  private readonly topKeyMemo = new Map<string, string>();

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

  /** A map key as `stringifyPair` writes it (the pair's indent is `indent`). */
  private key(k: string, indent: string): string {
    // Document markers (`---`) in a key are quoted only for top-level keys.
    const memo = indent === INDENT_STEP ? this.topKeyMemo : this.keyMemo;
    let s = memo.get(k);
    if (s === undefined) {
      if (k === MERGE_KEY && mergeTagWritesPlain) return MERGE_KEY;
      s = stringifyString(scalarOf(k), this.ctx(indent, true));
      memo.set(k, s);
    }
    if (s.length > MAX_KEY) this.bailed = true;
    return s;
  }

  /** A scalar value; `undefined` for anything that is not one this renderer knows. */
  private scalar(v: unknown, indent: string): string | undefined {
    switch (typeof v) {
      case 'string': {
        if (v === MERGE_KEY && mergeTagWritesPlain) return MERGE_KEY;
        // A multi-line string (a block scalar) depends on its indent: memoized per indent (a
        // map per indent, so the long text is not copied into a new key each time).
        let memo = this.valueMemo;
        if (v.includes('\n')) {
          memo = this.blockMemo.get(indent) ?? new Map<string, string>();
          if (memo.size === 0) this.blockMemo.set(indent, memo);
        }
        let s = memo.get(v);
        if (s === undefined) {
          s = stringifyString(scalarOf(v), this.ctx(indent, false));
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

  /** A non-empty block map whose own indent is `indent` (its pairs start at that column). */
  map(m: Record<string, unknown>, indent: string): string {
    const inner = indent + INDENT_STEP;
    let out = '';
    let first = true;
    for (const k of Object.keys(m)) {
      const v = m[k];
      if (v === undefined) continue;
      let line = `${this.key(k, inner)}:`;
      if (isPlainList(v)) {
        // indentSeq: false — the `- ` is part of the indentation.
        line += v.length === 0 ? ' []' : `\n${indent}${this.list(v, indent)}`;
      } else if (isPlainMap(v)) {
        line += isEmpty(v) ? ' {}' : `\n${inner}${this.map(v, inner)}`;
      } else {
        const s = this.scalar(v, inner);
        if (s === undefined) {
          this.bailed = true;
          return '';
        }
        line += s === '' || s[0] === '\n' ? s : ` ${s}`;
      }
      if (this.bailed) return '';
      out += first ? line : `\n${indent}${line}`;
      first = false;
    }
    return first ? '{}' : out;
  }

  /** A non-empty block list whose `- ` starts at `indent`. */
  list(l: unknown[], indent: string): string {
    const inner = indent + INDENT_STEP;
    let out = '';
    for (let i = 0; i < l.length; i++) {
      const v = l[i];
      let item: string;
      if (isPlainList(v)) item = v.length === 0 ? '[]' : this.list(v, inner);
      else if (isPlainMap(v)) item = isEmpty(v) ? '{}' : this.map(v, inner);
      else {
        const s = this.scalar(v, inner);
        if (s === undefined) {
          this.bailed = true;
          return '';
        }
        item = s;
      }
      if (this.bailed) return '';
      out += i === 0 ? `- ${item}` : `\n${indent}- ${item}`;
    }
    return out;
  }
}

/** True when a map renders as `{}` (no keys, or only keys whose value is undefined). */
function isEmpty(m: Record<string, unknown>): boolean {
  for (const k in m) if (Object.hasOwn(m, k) && m[k] !== undefined) return false;
  return true;
}
