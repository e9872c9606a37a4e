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

/** Converts marker values to plain data (for output and comparisons). */
export function toPlain(v: unknown): unknown {
  if (v instanceof ExecutorValue) return toPlain(v.body);
  if (v instanceof StepsValue) return v.steps.map(toPlain);
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
    return out;
  }
  return v;
}
