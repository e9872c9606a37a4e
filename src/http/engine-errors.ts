// Maps engine errors to API errors.
import { EngineError } from '../engine/pipeline/control.ts';
import { ApiError } from './errors.ts';

export async function engineCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EngineError) throw new ApiError(err.kind === 'not_found' ? 404 : 400, err.message);
    throw err;
  }
}
