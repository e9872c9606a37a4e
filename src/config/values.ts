// Typed values that parameters can carry besides YAML scalars: resolved executors and expanded steps.

/** An executor resolved in the scope where it was named (an `executor` parameter's value). */
export class ExecutorValue {
  constructor(
    readonly executorName: string,
    /** The executor's compiled body: docker/machine/macos/..., resource_class, environment ... */
    readonly body: Record<string, unknown>,
  ) {}
}

/** Steps already expanded in the scope where they were written (a `steps` parameter's value). */
export class StepsValue {
  constructor(readonly steps: readonly unknown[]) {}
}

/** Converts marker values to plain data (for output and comparisons). Always returns new containers. */
export function toPlain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof ExecutorValue) return toPlain(v.body);
  if (v instanceof StepsValue) return toPlainList(v.steps);
  if (Array.isArray(v)) return toPlainList(v);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // for-in, not Object.keys: no key array per object copied (the compiler's maps are plain objects).
  for (const k in src) if (Object.hasOwn(src, k)) out[k] = toPlain(src[k]);
  return out;
}

function toPlainList(l: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(l.length);
  for (let i = 0; i < l.length; i++) out[i] = toPlain(l[i]);
  return out;
}
