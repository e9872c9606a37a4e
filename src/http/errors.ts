// The error registry (domain/errors.ts) as the HTTP layer imports it: routes throw
// `new CircletError('PROJECT_NOT_FOUND')` or a code with its parameters.
export { CircletError, isCircletError, type ErrorCode } from '../domain/errors.ts';
