// The generic error helpers, over the registry in domain/errors.ts. New code throws a
// registry code (`new CircletError('PROJECT_NOT_FOUND')`); these stay for messages that are
// one-off validation text, and for routes written before the registry.
import { CircletError } from '../domain/errors.ts';

export { CircletError, isCircletError, type ErrorCode } from '../domain/errors.ts';

export const badRequest = (message: string) => new CircletError('BAD_REQUEST', { message });
export const unauthorized = (message?: string) => (message === undefined ? new CircletError('UNAUTHORIZED') : new CircletError('UNAUTHENTICATED', { message }));
export const forbidden = (message = 'Forbidden') => new CircletError('FORBIDDEN', { message });
export const notFound = (message: string) => new CircletError('NOT_FOUND', { message });
export const conflict = (message: string) => new CircletError('CONFLICT', { message });

const GENERIC = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT' } as const;

/** @deprecated throw a registry code (`CircletError`) or one of the helpers above. */
export class ApiError extends CircletError<(typeof GENERIC)[keyof typeof GENERIC]> {
  constructor(statusCode: number, message: string) {
    super(GENERIC[statusCode as keyof typeof GENERIC] ?? 'BAD_REQUEST', { message });
    (this as { statusCode: number }).statusCode = statusCode;
  }
}

/** @deprecated `new CircletError('PROJECT_NOT_FOUND')`. */
export const PROJECT_NOT_FOUND = 'Project not found';
