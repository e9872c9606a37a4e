// The error registry: every failure circlet reports has a code here, with its HTTP status and
// its message (a template whose `{name}` parameters are given where it is thrown). The engine, the services over
// storage, the HTTP routes and the agent all throw `CircletError`; `http/app.ts` turns it into
// `{"message": …}` with the status, in one handler. docs/errors.md lists every code (a test
// keeps the two in step). Fastify's lib/errors.js is the model.

interface ErrorDef {
  readonly status: number;
  readonly message: string;
  /** Response headers sent with the error (e.g. `retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Seconds a client waits before retrying while the database is unreachable (503). */
export const RETRY_AFTER_S = '5';

const errors = {
  // Generic: a status with the message given where it is thrown (the helpers in http/errors.ts).
  BAD_REQUEST: { status: 400, message: '{message}' },
  UNAUTHENTICATED: { status: 401, message: '{message}' },
  FORBIDDEN: { status: 403, message: '{message}' },
  NOT_FOUND: { status: 404, message: '{message}' },
  CONFLICT: { status: 409, message: '{message}' },

  // Requests as a whole.
  INVALID_JSON_BODY: { status: 400, message: 'Invalid JSON body' },
  VALIDATION_FAILED: { status: 400, message: '{message}' },
  BODY_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  ROUTE_NOT_FOUND: { status: 404, message: 'Route not found: {method} {path}' },
  BAD_PAGE_TOKEN: { status: 400, message: 'Invalid page-token' },
  INVALID_URL_TEXT: { status: 400, message: 'Invalid text in the URL' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unreachable; retry shortly', headers: { 'retry-after': RETRY_AFTER_S } },
  DATABASE_NOT_READY: { status: 503, message: 'database unreachable', headers: { 'retry-after': RETRY_AFTER_S } },
  DASHBOARD_NOT_BUILT: { status: 503, message: 'The dashboard is not built: run `npm run build`' },
  INTERNAL: { status: 500, message: 'Internal server error' },

  // Authentication.
  UNAUTHORIZED: { status: 401, message: 'You must log in first.' },
  INVALID_TOKEN: { status: 401, message: 'Invalid token provided.' },
  PERMISSION_DENIED: { status: 403, message: 'Permission denied.' },
  SESSION_ENDED: { status: 401, message: 'Your session has ended: sign in again.' },
  CSRF_MISMATCH: { status: 403, message: 'Missing or wrong {header} header' },
  CSRF_MISMATCH_SESSION: { status: 403, message: 'Missing or wrong {header} header for a request made with the session cookie' },
  SIGN_IN_CROSS_ORIGIN: { status: 403, message: 'Sign-in must come from this server’s own page' },

  // Things that are not there (or not visible to the caller).
  PROJECT_NOT_FOUND: { status: 404, message: 'Project not found' },
  PROJECT_NO_ACCESS: { status: 400, message: 'Project does not exist, or user does not have access to this project.' },
  ORGANIZATION_NOT_FOUND: { status: 404, message: 'Organization not found' },
  ORGANIZATION_DOES_NOT_EXIST: { status: 404, message: 'Organization does not exist.' },
  USER_NOT_FOUND: { status: 404, message: 'User not found' },
  PIPELINE_NOT_FOUND: { status: 404, message: 'Pipeline not found' },
  PIPELINE_DEFINITION_NOT_FOUND: { status: 404, message: 'Pipeline definition not found' },
  WORKFLOW_NOT_FOUND: { status: 404, message: 'Workflow not found' },
  JOB_NOT_FOUND: { status: 404, message: 'Job not found' },
  BUILD_NOT_FOUND: { status: 404, message: 'Build not found' },
  APPROVAL_REQUEST_NOT_FOUND: { status: 404, message: 'Approval request not found' },
  ARTIFACT_NOT_FOUND: { status: 404, message: 'Artifact not found' },
  OUTPUT_NOT_FOUND: { status: 404, message: 'Output not found' },
  ENV_VAR_NOT_FOUND: { status: 404, message: 'Environment variable not found' },
  CHECKOUT_KEY_NOT_FOUND: { status: 404, message: 'Checkout key not found' },
  CONTEXT_NOT_FOUND: { status: 404, message: 'Context not found.' },
  CONTEXT_RESTRICTION_NOT_FOUND: { status: 404, message: 'Context restriction not found.' },
  SCHEDULE_NOT_FOUND: { status: 404, message: 'Schedule not found.' },
  WEBHOOK_NOT_FOUND: { status: 404, message: 'Webhook not found' },

  // Actions on running work (the engine).
  JOB_NOT_ON_HOLD: { status: 400, message: 'Job is not on hold (status: {status})' },
  CONTINUATION_KEY_INVALID: { status: 400, message: 'Invalid or expired continuation key' },
  CONTINUATION_SETUP_FINISHED: { status: 400, message: 'Invalid or expired continuation key: the setup workflow has finished' },
  CONTINUATION_CONFIG_INVALID: { status: 400, message: '{problems}' },
  RERUN_FROM_FAILED_AND_JOBS: { status: 400, message: 'from_failed and jobs are mutually exclusive' },
  RERUN_SPARSE_TREE_WITHOUT_JOBS: { status: 400, message: 'sparse_tree requires jobs' },
  RERUN_SSH_WITHOUT_JOBS: { status: 400, message: 'enable_ssh requires jobs' },
  RERUN_WORKFLOW_RUNNING: { status: 400, message: 'Workflow is still running; cancel it or wait for it to finish' },
  RERUN_UNKNOWN_JOBS: { status: 400, message: 'Jobs not in this workflow: {names}' },
  RERUN_NO_JOBS: { status: 400, message: 'jobs must name at least one job' },
  RERUN_NO_FAILED_JOBS: { status: 400, message: 'No failed jobs to rerun' },

  // The runner protocol.
  LEASE_LOST: { status: 409, message: 'task is not running on this agent' },
  RUNNER_TOKEN_REQUIRED: { status: 401, message: 'A runner token is required' },
  RUNNER_TOKEN_INVALID: { status: 401, message: 'Invalid runner token' },
  TASK_CREDENTIAL_REQUIRED: { status: 401, message: 'A task credential is required (header {header}, returned by the claim)' },
  RUNNER_TOKEN_OTHER_CLASS: { status: 403, message: 'This runner token serves resource class {own} only, not {other}' },
  RUNNER_TOKEN_CLOUD_ONLY: { status: 403, message: 'This runner token serves cloud resource classes only, not {other}; create a token for {other}' },
  UPLOAD_NOT_OCTET_STREAM: { status: 415, message: 'Uploads must be sent as application/octet-stream' },
  RAW_OUTPUT_TYPE: { status: 415, message: 'Raw output must be sent as application/octet-stream' },
  BLOB_MISSING: { status: 404, message: 'blob missing' },
  ARTIFACT_PATH_INVALID: { status: 400, message: 'invalid artifact path: {path}' },
  CACHE_NOT_FOUND: { status: 404, message: 'No cache with key {key}' },
  WORKSPACE_LAYER_NOT_FOUND: { status: 404, message: 'No such workspace layer for this job' },
  GIT_CREDENTIAL_REQUIRED: { status: 401, message: 'A running job’s task id and task credential are required.', headers: { 'www-authenticate': 'Basic realm="circlet git"' } },
  GIT_FETCH_ONLY: { status: 403, message: 'Only fetching (git-upload-pack) is served.' },

  // Signed step-output links (v1.1).
  OUTPUT_SIGNATURE_INVALID: { status: 403, message: 'Invalid or missing signature' },
  OUTPUT_URL_EXPIRED: { status: 403, message: 'This output URL has expired' },

  // Forge webhooks.
  WEBHOOK_SIGNATURE_MISSING: { status: 401, message: 'Missing webhook signature: expected a {headers} header' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, message: 'Invalid webhook signature (or no project with this ?project= slug or repository URL)' },
  WEBHOOK_PROJECT_REPEATED: { status: 400, message: "Query field 'project' must be given once" },
  WEBHOOK_PROJECT_MISSING: { status: 400, message: "Missing query field 'project'" },
  WEBHOOK_UNSIGNED_TOO_LARGE: { status: 413, message: 'A delivery over {mb} MB needs ?project=<slug> in the webhook URL, so its signature is checked before the body is read' },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof errors;

/** The `{name}` parameters of a message template. */
type Params<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Params<Rest> : never;

/** What a code's message takes: nothing for a fixed message, else its parameters by name. */
export type ErrorArgs<C extends ErrorCode> = [Params<(typeof errors)[C]['message']>] extends [never] ? [] : [Record<Params<(typeof errors)[C]['message']>, string | number>];

/** Every code, for docs/errors.md and its test. */
export const ERROR_CODES = Object.keys(errors) as ErrorCode[];

export function errorStatus(code: ErrorCode): number {
  return errors[code].status;
}

/** A code's message template, as docs/errors.md shows it. */
export function errorTemplate(code: ErrorCode): string {
  return errors[code].message;
}

/** The one error class: a registry code, its HTTP status and its message. */
export class CircletError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: C, ...args: ErrorArgs<C>) {
    const def: ErrorDef = errors[code];
    const params = (args[0] ?? {}) as Record<string, string | number>;
    super(def.message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)));
    this.name = 'CircletError';
    this.code = code;
    this.statusCode = def.status;
    this.headers = def.headers ?? {};
  }
}

/** Whether `err` is a CircletError with this code. */
export function isCircletError<C extends ErrorCode>(err: unknown, code: C): err is CircletError<C> {
  return err instanceof CircletError && err.code === code;
}
