// A step's environment, in CircleCI's order of precedence (lowest first; later wins):
//   the executor's base environment (PATH, HOME ...)
//   project environment variables        \ the secrets endpoint sends both, already ordered:
//   context environment variables        / project first, then contexts in the job's order
//   CircleCI's built-in variables         (CIRCLE_*, CI, CIRCLECI: the task payload)
//   the container's environment           (the primary docker image's `environment`)
//   the job's environment                 (job and executor `environment`, job wins: merged by the compiler)
//   the step's environment                (run step `environment`)
// and what a command exports in its own shell wins over all of these.

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
