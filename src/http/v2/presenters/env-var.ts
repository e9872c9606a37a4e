// How variable values are shown: masked to their last four characters (shared with v1.1).
export { maskEnvValue } from '../../../domain/env-mask.ts';
