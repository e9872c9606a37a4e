// Shared helpers for the config compiler tests.
import { compileConfig, type CompileOptions, type CompileResult, type Diagnostic, type OrbRef, type OrbSource } from '../../src/config/index.ts';
import { DirectoryOrbSource } from '../../src/config/orbs/directory.ts';
import { ORBS_DIR } from '../fixtures/index.ts';

export const ORB_DIR = ORBS_DIR;

/** The revision whose dev orb is present in the orb directory (`python@dev-<rev>.yml`). */
export const DEV_REVISION = '0e501f31a177851b9612fcfa566acbfad0bf9f48';

export const PIPELINE_VALUES = {
  id: '00000000-0000-0000-0000-000000000001',
  number: 1,
  'project.git_url': 'https://github.com/example/project',
  'project.type': 'github',
  'git.branch': 'main',
  'git.revision': DEV_REVISION,
  trigger_source: 'webhook',
};

export const dirSource = new DirectoryOrbSource(ORB_DIR);

/** An in-memory OrbSource: keys are `ns/name@version` (exact versions only). */
export class MapOrbSource implements OrbSource {
  constructor(private readonly orbs: Record<string, string>) {}
  async resolve(ref: OrbRef): Promise<{ source: string; resolvedVersion: string } | null> {
    const key = `${ref.namespace}/${ref.name}@${ref.version}`;
    const source = this.orbs[key];
    return source === undefined ? null : { source, resolvedVersion: ref.version };
  }
}

export function compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  return compileConfig(source, { pipelineValues: { 'git.branch': 'main' }, ...options });
}

export function errors(r: CompileResult): Diagnostic[] {
  return r.diagnostics.filter((d) => d.severity === 'error');
}

export function messages(r: CompileResult): string[] {
  return errors(r).map((d) => d.message);
}

/** Removes common leading indentation so configs can be written inline. */
export function yml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Compiles and returns the compiled config, failing the test with the diagnostics otherwise. */
export async function compiled(source: string, options: CompileOptions = {}): Promise<Record<string, any>> {
  const r = await compile(source, options);
  if (!r.compiled) throw new Error(`expected a compiled config, got:\n${r.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n')}`);
  return r.compiled as Record<string, any>;
}
