// A step's environment, in CircleCI's order of precedence (lowest first; later wins):
//   the executor's base environment (PATH, HOME ...)
//   project environment variables        \ the secrets endpoint sends both, already ordered:
//   context environment variables        / project first, then contexts in the job's order
//   CircleCI's built-in variables         (CIRCLE_*, CI, CIRCLECI: the task payload)
//   the container's environment           (the primary docker image's `environment`)
//   the job's environment                 (job and executor `environment`, job wins: merged by the compiler)
//   the step's environment                (run step `environment`)
// and what a command exports in its own shell wins over all of these.

/** A config `environment`: a map, or a list of one-key maps / `NAME=value` strings. */
export function envFrom(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown) => {
    out[k] = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string') {
        const i = item.indexOf('=');
        if (i > 0) put(item.slice(0, i), item.slice(i + 1));
      } else if (item && typeof item === 'object') for (const [k, v] of Object.entries(item)) put(k, v);
    }
  } else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) put(k, v);
  return out;
}

export interface EnvLayers {
  base: Record<string, string>;
  /** Project, then context variables (the secrets endpoint's `environment`). */
  secrets: Record<string, string>;
  builtIn: Record<string, string>;
  container: Record<string, string>;
  job: Record<string, string>;
  step?: Record<string, string>;
}

export function composeEnv(l: EnvLayers): Record<string, string> {
  return { ...l.base, ...l.secrets, ...l.builtIn, ...l.container, ...l.job, ...(l.step ?? {}) };
}
