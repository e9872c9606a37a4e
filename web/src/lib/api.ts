// The dashboard's only way to talk to circlet: the public API (v2, v1.1, the job output
// stream) with the session cookie, plus the sign-in routes. State-changing requests carry
// the session's CSRF token in `X-CSRF-Token`.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  user: { id: string; login: string; name: string };
  csrf_token: string;
}

let csrf = '';
let onUnauthorized: () => void = () => {};

export function setSession(s: Session | null): void {
  csrf = s?.csrf_token ?? '';
}

export function handleUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthorized();
    throw new ApiError(res.status, (parsed as { message?: string } | undefined)?.message ?? `${res.status} ${res.statusText}`);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
  session: () => request<Session>('GET', '/auth/session'),
  signIn: (token: string) => request<Session>('POST', '/auth/sign-in', { token }),
  signOut: () => request<void>('POST', '/auth/sign-out'),
};

/** `/api/v2/project/{slug}` paths. */
export const v2 = (path: string) => `/api/v2${path}`;
