// Public types of the config compiler. The compiler is pure: its only I/O is an OrbSource.
import type { CompiledConfig, CompiledDocument } from './compiled.ts';

/** A problem found in a config. Diagnostics are data; the compiler never throws for bad input. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  /** Dotted config path, e.g. `jobs.build.steps[2].run`; '' for the whole document. */
  path: string;
  /** 1-based position in the source, when the path can be located. */
  line?: number;
  column?: number;
  /**
   * CircleCI-style call chain leading to the problem, outermost first, e.g.
   * `["Error calling workflow: 'ci'", "Error calling job: 'build'", "Error calling command: 'say'"]`.
   */
  context?: string[];
}

/** A reference to a registry orb: `namespace/name@version`. */
export interface OrbRef {
  namespace: string;
  name: string;
  /** As written: exact `1.2.3`, partial `1` / `1.2`, `volatile`, or `dev:<label>`. */
  version: string;
}

/** Where imported orbs come from. Implementations: local directory, registry over HTTPS. */
export interface OrbSource {
  /**
   * Returns the packed orb YAML and the exact version it resolved to, or null when
   * the orb or version does not exist. Throws only for transport failures.
   */
  resolve(ref: OrbRef): Promise<{ source: string; resolvedVersion: string } | null>;
  /**
   * A URL orb (`orbs: { foo: https://…/orb.yml }`): its YAML. Throws with a message the
   * compiler reports (not on the allow-list, fetch failed). Absent: URL orbs are unsupported.
   */
  resolveUrl?(url: string): Promise<{ source: string }>;
}

/**
 * Pipeline values available as `<< pipeline.X >>`, keyed by their dotted name without
 * the `pipeline.` prefix: `id`, `number`, `project.git_url`, `project.type`,
 * `git.branch`, `git.tag`, `git.revision`, `git.base_revision`, `trigger_source`,
 * `schedule.name`, `schedule.id`, `trigger_parameters.*`, `event.*` ...
 * A value that is absent is left out (not null).
 */
export type PipelineValues = Record<string, string | number | boolean>;

export interface CompileOptions {
  pipelineValues?: PipelineValues;
  /** Trigger-supplied pipeline parameters (checked against the config's declarations). */
  pipelineParameters?: Record<string, unknown>;
  /** Orbs imported by the config; when absent, any registry orb is a diagnostic. */
  orbSource?: OrbSource;
}

export interface CompileResult {
  /** The compiled config, typed (compiled.ts); null when there are error diagnostics. */
  config: CompiledConfig | null;
  /** The compiled `version: 2` document (`config.document`); null when there are error diagnostics. */
  compiled: CompiledDocument | null;
  /** The compiled document rendered as YAML; null when there are error diagnostics. */
  compiledYaml: string | null;
  diagnostics: Diagnostic[];
  /** True when the source declared `setup: true`. */
  setup: boolean;
  /** Orbs imported, as `ns/name@asked` → `ns/name@resolved` (for the header comments). */
  orbs: { ref: string; resolved: string }[];
}
