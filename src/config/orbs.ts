// Orb import: resolving registry references through an OrbSource (async, before compile), nested
// orbs, inline orbs, and the namespace tree used to look up `orb/element` names (sync).
import { LIMITS, mb } from './limits.ts';
import { formatPath, parseYaml, type Path } from './parse.ts';
import type { OrbRef, OrbSource } from './types.ts';
import { isObj, type Diags } from './util.ts';

/** The elements visible from one place: the project, or the inside of one orb. */
export interface Namespace {
  isOrb: boolean;
  /** Where the definitions live, for diagnostics (`[]` for the project, `['orbs','node']`). */
  path: Path;
  commands: Record<string, unknown>;
  jobs: Record<string, unknown>;
  executors: Record<string, unknown>;
  orbs: Record<string, Namespace>;
  /** An empty inline orb (`x: {}`), a placeholder that orb-tools fills in before continuation. */
  placeholder: boolean;
}

export type ElementKind = 'commands' | 'jobs' | 'executors';

export interface Found {
  def: unknown;
  ns: Namespace;
  /** Name of the element inside its namespace. */
  name: string;
  path: Path;
}

/** Looks up `name` or `orb/name` (nested `a/b/name` too); string element values are aliases. */
export function lookup(ns: Namespace, kind: ElementKind, name: string, depth = 0): Found | 'placeholder' | null {
  if (depth > 20) return null;
  if (Object.hasOwn(ns[kind], name)) {
    const def = ns[kind][name];
    if (typeof def === 'string' && def !== name) return lookup(ns, kind, def, depth + 1);
    return { def, ns, name, path: [...ns.path, kind, name] };
  }
  const slash = name.indexOf('/');
  if (slash > 0) {
    const orb = ns.orbs[name.slice(0, slash)];
    if (orb) return orb.placeholder ? 'placeholder' : lookup(orb, kind, name.slice(slash + 1), depth + 1);
  }
  return null;
}

const REF_RE = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)@(\S+)$/;

export function parseOrbRef(s: string): OrbRef | null {
  const m = REF_RE.exec(s.trim());
  return m ? { namespace: m[1], name: m[2], version: m[3] } : null;
}

export function refString(r: OrbRef): string {
  return `${r.namespace}/${r.name}@${r.version}`;
}

export interface FetchedOrb {
  resolved: string;
  data: unknown;
}

/** Registry orbs fetched before compiling, keyed by `ns/name@version` as written. */
export type OrbTable = Map<string, FetchedOrb>;

/** A URL orb: fetched through the source (which applies the organization's allow-list), keyed by its URL. */
async function fetchUrlOrb(url: string, p: Path, source: OrbSource | undefined, diags: Diags, table: OrbTable, imported: { ref: string; resolved: string }[]): Promise<void> {
  if (table.has(url)) return;
  if (!source?.resolveUrl) {
    diags.error(p, `URL orbs are not supported here: '${url}'`);
    return;
  }
  let got: { source: string };
  try {
    got = await source.resolveUrl(url);
  } catch (err) {
    diags.error(p, `URL orb ${url}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (got.source.length > LIMITS.orbBytes) {
    diags.error(p, `URL orb ${url} is ${mb(got.source.length)}; at most ${mb(LIMITS.orbBytes)} is allowed per orb`);
    return;
  }
  if (table.size >= LIMITS.orbs) {
    diags.error(p, `The config imports more than ${LIMITS.orbs} orbs (counting orbs imported by orbs); at most ${LIMITS.orbs} are allowed`);
    return;
  }
  const parsed = parseOrbSource(got.source);
  if (typeof parsed === 'string') {
    diags.error(p, `URL orb ${url} could not be parsed: ${parsed}`);
    return;
  }
  table.set(url, { resolved: url, data: parsed });
  imported.push({ ref: url, resolved: url });
  if (isObj(parsed)) await fetchOrbs(parsed.orbs, [...p, 'orbs'], source, diags, table, imported);
}

/**
 * Fetches every registry orb referenced by an `orbs:` map (already substituted), recursively
 * through nested orbs. Reports unknown or unparsable orbs. The only async step of a compile.
 */
export async function fetchOrbs(
  orbs: unknown,
  path: Path,
  source: OrbSource | undefined,
  diags: Diags,
  table: OrbTable = new Map(),
  imported: { ref: string; resolved: string }[] = [],
): Promise<{ table: OrbTable; imported: { ref: string; resolved: string }[] }> {
  if (!isObj(orbs)) return { table, imported };
  for (const [local, v] of Object.entries(orbs)) {
    const p = [...path, local];
    if (isObj(v)) {
      await fetchOrbs(v.orbs, [...p, 'orbs'], source, diags, table, imported);
      continue;
    }
    if (typeof v !== 'string') {
      diags.error(p, `Orb '${local}' must be a reference 'namespace/name@version' or an inline orb map`);
      continue;
    }
    const ref = parseOrbRef(v);
    if (!ref && /^https?:\/\//.test(v.trim())) {
      await fetchUrlOrb(v.trim(), p, source, diags, table, imported);
      continue;
    }
    if (!ref) {
      diags.error(p, `Invalid orb reference '${v}': expected 'namespace/name@version'`);
      continue;
    }
    const key = refString(ref);
    if (table.has(key)) continue;
    if (!source) {
      diags.error(p, `Cannot resolve orb ${key}: no orb source is configured`);
      continue;
    }
    let got: Awaited<ReturnType<OrbSource['resolve']>>;
    try {
      got = await source.resolve(ref);
    } catch (err) {
      diags.error(p, `Could not fetch orb ${key}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (!got) {
      diags.error(p, `Cannot find orb ${key}: the orb or version does not exist`);
      continue;
    }
    if (got.source.length > LIMITS.orbBytes) {
      diags.error(p, `Orb ${key} is ${mb(got.source.length)}; at most ${mb(LIMITS.orbBytes)} is allowed per orb`);
      continue;
    }
    if (table.size >= LIMITS.orbs) {
      diags.error(p, `The config imports more than ${LIMITS.orbs} orbs (counting orbs imported by orbs); at most ${LIMITS.orbs} are allowed`);
      return { table, imported };
    }
    const parsed = parseOrbSource(got.source);
    if (typeof parsed === 'string') {
      diags.error(p, `Orb ${key} could not be parsed: ${parsed}`);
      continue;
    }
    const resolved = `${ref.namespace}/${ref.name}@${got.resolvedVersion}`;
    table.set(key, { resolved, data: parsed });
    imported.push({ ref: key, resolved });
    await fetchOrbs(parsed.orbs, [...p, 'orbs'], source, diags, table, imported);
  }
  return { table, imported };
}

// Parsed orb sources, keyed by their text: a small LRU shared by all compiles, so a busy server
// parses each orb version once. The cached data is deep-frozen: every compile step builds new
// values (substitution copies), and a step that tried to write into an orb's definitions would
// throw instead of leaking the change into later compiles.
const parseCache = new Map<string, Record<string, unknown> | string>();
const PARSE_CACHE_SIZE = 64;

/** Parses packed orb YAML (memoized, frozen); a string result is the parse error. */
export function parseOrbSource(text: string): Record<string, unknown> | string {
  const hit = parseCache.get(text);
  if (hit !== undefined) {
    // Most recently used last: the first key is the one to evict.
    parseCache.delete(text);
    parseCache.set(text, hit);
    return hit;
  }
  const parsed = parseYaml(text);
  const value = parsed.diagnostics.length > 0 || !isObj(parsed.value) ? (parsed.diagnostics[0]?.message ?? 'not a map') : deepFreeze(parsed.value);
  if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value as string);
  parseCache.set(text, value);
  return value;
}

/** Freezes plain data in place (aliases make it a DAG: shared nodes are frozen once). */
function deepFreeze<T>(root: T): T {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return root;
}

function mapOf(v: unknown): Record<string, unknown> {
  return isObj(v) ? v : {};
}

/** Builds the namespace tree for the project (or an orb body) from fetched orbs. */
export function buildNamespace(doc: Record<string, unknown>, path: Path, isOrb: boolean, table: OrbTable, diags: Diags, depth = 0): Namespace {
  const ns: Namespace = {
    isOrb,
    path,
    commands: mapOf(doc.commands),
    jobs: mapOf(doc.jobs),
    executors: mapOf(doc.executors),
    orbs: {},
    placeholder: false,
  };
  for (const kind of ['commands', 'jobs', 'executors'] as const) {
    if (doc[kind] !== undefined && doc[kind] !== null && !isObj(doc[kind])) diags.error([...path, kind], `${kind} must be a map`);
  }
  if (depth > 20) return ns;
  for (const [local, v] of Object.entries(mapOf(doc.orbs))) {
    const p = [...path, 'orbs', local];
    if (isObj(v)) {
      const child = buildNamespace(v, p, true, table, diags, depth + 1);
      child.placeholder = Object.keys(v).length === 0;
      ns.orbs[local] = child;
    } else if (typeof v === 'string') {
      const ref = parseOrbRef(v);
      const fetched = table.get(ref ? refString(ref) : v.trim());
      if (fetched && isObj(fetched.data)) ns.orbs[local] = buildNamespace(fetched.data, p, true, table, diags, depth + 1);
    }
  }
  return ns;
}

export function describeNs(ns: Namespace): string {
  return ns.isOrb ? `orb ${formatPath(ns.path)}` : 'project';
}
