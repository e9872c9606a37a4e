// The fast path of YAML parsing: js-yaml (a single pass straight to plain data, ~10× faster than
// building `yaml`'s Document) with a schema that reproduces what `parseYaml`'s Document path
// yields — `yaml`'s core schema, YAML 1.1 booleans, merge keys, later duplicate keys winning,
// boolean and null map keys keeping their text. It only answers for documents it reproduces
// exactly: anything else (a syntax error, an explicit tag, a complex key, an anchor holding an
// alias, deep nesting, many alias uses) returns undefined and the Document path decides, with
// positions and its own diagnostics.
import jsyaml from 'js-yaml';

/** A YAML 1.1 boolean or a null, kept with its text until the data is finished (see `finish`). */
class Marked {
  constructor(
    readonly value: boolean | null,
    private readonly key: string,
  ) {}
  /** js-yaml turns a map key into a string with `String(key)`: the text `yaml` keeps. */
  toString(): string {
    return this.key;
  }
  get [Symbol.toStringTag](): string {
    return 'Marked';
  }
}

const NULL = new Marked(null, '');
const boolTrue = /^(?:[Tt]rue|TRUE|[Yy]es|YES|[Oo]n|ON)$/;
const boolFalse = /^(?:[Ff]alse|FALSE|[Nn]o|NO|[Oo]ff|OFF)$/;

/** The value of a plain scalar that is not a string, in the order `yaml`'s core schema tries its tags. */
type Implicit = [test: RegExp, construct: (s: string) => unknown];
const words: Implicit[] = [
  [/^(?:~|[Nn]ull|NULL)?$/, () => NULL],
  [boolTrue, (s) => new Marked(true, s)],
  [boolFalse, (s) => new Marked(false, s)],
];
const numbers: Implicit[] = [
  [/^0o[0-7]+$/, (s) => parseInt(s.substring(2), 8)],
  [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
  [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.substring(2), 16)],
  [/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY)],
  [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, parseFloat],
  [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, parseFloat],
];

/**
 * The implicit types a plain scalar can resolve to, chosen by its first character (every
 * pattern above starts with one of a few): most scalars are words or commands that no type
 * matches, and js-yaml would try each type's pattern on each of them.
 */
function candidates(s: string): Implicit[] | null {
  if (s.length === 0) return words;
  switch (s.charCodeAt(0)) {
    case 0x7e /* ~ */:
    case 0x6e /* n */:
    case 0x4e /* N */:
    case 0x74 /* t */:
    case 0x54 /* T */:
    case 0x66 /* f */:
    case 0x46 /* F */:
    case 0x79 /* y */:
    case 0x59 /* Y */:
    case 0x6f /* o */:
    case 0x4f /* O */:
      return words;
    case 0x2b /* + */:
    case 0x2d /* - */:
    case 0x2e /* . */:
      return numbers;
    default: {
      const c = s.charCodeAt(0);
      return c >= 0x30 && c <= 0x39 ? numbers : null;
    }
  }
}

/** The construct of the type `resolve` matched last (js-yaml constructs right after resolving). */
let matched: ((s: string) => unknown) | null = null;

function resolveImplicit(s: string | null): boolean {
  if (s === null) return false;
  const list = candidates(s);
  if (list === null) return false;
  for (const [test, construct] of list) {
    if (test.test(s)) {
      matched = construct;
      return true;
    }
  }
  return false;
}

function constructImplicit(s: string): unknown {
  const construct = matched!;
  matched = null;
  return construct(s);
}

const schema = new jsyaml.Schema({
  implicit: [
    new jsyaml.Type('tag:circlet/implicit', { kind: 'scalar', resolve: resolveImplicit, construct: constructImplicit }),
    // js-yaml merges a pair whose key carries exactly this tag.
    new jsyaml.Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (s: string | null) => s === '<<' }),
  ],
});

/**
 * Text the fast path leaves to the Document path: explicit keys (`? k`), flow collections as
 * keys and `!!` tags (other tags make js-yaml throw). Over-matching (inside a string) only costs
 * speed. Empty keys (`: v`), which js-yaml names "null", are caught in `finish`.
 */
const exotic = /(?:^|[\s,[{])\?(?:\s|$)|[[{][^\n]*[\]}][ \t]*:(?:\s|$)|(?:^|[\s,[{])!!\w/m;

/** Nesting the fast path handles; deeper documents go to the Document path (its limit is 500). */
const MAX_DEPTH = 400;
/** Uses of one anchor the fast path handles (the Document path stops at 10,000 expansions). */
const MAX_ALIAS_USES = 5_000;

/** Plain data for `source`, or undefined when the Document path must decide. */
export function fastParseYaml(source: string): { value: unknown } | undefined {
  if (exotic.test(source)) return undefined;
  // Aliases are followed to check what `yaml` would refuse or count differently: an anchored node
  // with an alias inside (its expansions multiply, and merges re-read them), or heavy reuse.
  // Per open node (innermost last): whether an alias was read inside it.
  const stack: boolean[] = [];
  const uses = new Map<string, number>();
  let refused = false;
  let hooked = false;
  const listener = function (this: unknown, event: 'open' | 'close', state: jsyaml.State): void {
    const s = state as jsyaml.State & { anchorMap: Record<string, unknown>; anchor: string | null };
    if (!hooked) {
      hooked = true;
      s.anchorMap = new Proxy(s.anchorMap, {
        get(target, name, receiver) {
          if (typeof name === 'string') {
            const n = (uses.get(name) ?? 0) + 1;
            uses.set(name, n);
            if (n > MAX_ALIAS_USES) refused = true;
            if (stack.length > 0) stack[stack.length - 1] = true;
          }
          return Reflect.get(target, name, receiver) as unknown;
        },
      });
    }
    if (event === 'open') {
      stack.push(false);
      return;
    }
    if (stack.length === 0) {
      refused = true;
      return;
    }
    if (!stack.pop()) return;
    if (stack.length > 0) stack[stack.length - 1] = true;
    // An alias node's own frame has no anchor; an anchored node with an alias inside is refused.
    if (s.anchor !== null) refused = true;
  };
  let value: unknown;
  try {
    // maxDepth (js-yaml ≥ 4.2) is not in @types/js-yaml yet.
    const options: jsyaml.LoadOptions & { maxDepth: number } = { schema, json: true, maxDepth: MAX_DEPTH, listener };
    value = jsyaml.load(source, options);
  } catch {
    return undefined;
  }
  if (refused || stack.length !== 0) return undefined;
  const done = finish(value);
  return done.ok ? { value: done.value } : undefined;
}

/**
 * Replaces the marked booleans and nulls by their values, in place (shared nodes once). Not ok
 * when a map has a key "null": js-yaml's name for an empty key, which `yaml` names "".
 */
function finish(root: unknown): { ok: boolean; value: unknown } {
  if (root instanceof Marked) return { ok: true, value: root.value };
  if (typeof root !== 'object' || root === null) return { ok: true, value: root };
  const seen = new Set<object>();
  const todo: object[] = [root];
  while (todo.length > 0) {
    const node = todo.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (v instanceof Marked) node[i] = v.value;
        else if (typeof v === 'object' && v !== null) todo.push(v);
      }
    } else {
      const rec = node as Record<string, unknown>;
      for (const k in rec) {
        if (k === 'null') return { ok: false, value: undefined };
        const v = rec[k];
        if (v instanceof Marked) Object.defineProperty(rec, k, { value: v.value, writable: true, enumerable: true, configurable: true });
        else if (typeof v === 'object' && v !== null) todo.push(v);
      }
    }
  }
  return { ok: true, value: root };
}
