// Dynamic config (setup → continuation) checks the continue-pipeline handler applies before
// compiling the continuation config with the passed parameters.
import { parseYaml } from './parse.ts';
import type { Diagnostic } from './types.ts';
import { deepEqual, isObj } from './util.ts';

export interface ContinuationInput {
  /** Source of the setup config (the one with `setup: true`). */
  setupSource: string;
  /** Source of the continuation config sent to the continue API. */
  continuationSource: string;
  /** Pipeline parameters passed with the continuation. */
  passed: Record<string, unknown>;
  /** Pipeline parameters the pipeline was originally triggered with. */
  trigger: Record<string, unknown>;
}

/**
 * checkContinuation(input): Diagnostic[] — errors for a continuation request:
 * - the continuation config must not itself be a setup config;
 * - `Conflicting pipeline parameters.` when a parameter is declared in both configs, passed by
 *   the continuation, and the trigger supplied a value different from the setup config's default.
 * Undeclared passed parameters are reported by compileConfig (`Unexpected argument(s)`).
 */
export function checkContinuation(input: ContinuationInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  const setup = parseYaml(input.setupSource).value;
  const cont = parseYaml(input.continuationSource).value;
  if (isObj(cont) && cont.setup === true) out.push({ severity: 'error', message: 'A continuation config cannot itself be a setup config (setup: true)', path: 'setup' });
  const setupDecls = isObj(setup) && isObj(setup.parameters) ? setup.parameters : {};
  const contDecls = isObj(cont) && isObj(cont.parameters) ? cont.parameters : {};
  const conflicting = Object.keys(input.passed).filter((name) => {
    if (!Object.hasOwn(setupDecls, name) || !Object.hasOwn(contDecls, name) || !Object.hasOwn(input.trigger, name)) return false;
    const decl = setupDecls[name];
    const setupDefault = isObj(decl) ? decl.default : undefined;
    return !deepEqual(input.trigger[name], setupDefault);
  });
  if (conflicting.length > 0) out.push({ severity: 'error', message: 'Conflicting pipeline parameters.', path: 'parameters' });
  return out;
}
