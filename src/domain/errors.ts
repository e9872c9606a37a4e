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

  // GET /metrics (docs/operations.md).
  METRICS_NOT_SERVED: { status: 404, message: 'Metrics are not served on this port: start circlet serve with --metrics-token or --metrics-listen (docs/operations.md)' },
  METRICS_TOKEN_REQUIRED: { status: 401, message: 'A metrics token is required (Authorization: Bearer <token>)', headers: { 'www-authenticate': 'Bearer realm="metrics"' } },
  METRICS_GET_ONLY: { status: 405, message: 'Only GET /metrics is served here', headers: { allow: 'GET, HEAD' } },

  // Signed step-output links (v1.1).
  OUTPUT_SIGNATURE_INVALID: { status: 403, message: 'Invalid or missing signature' },
  OUTPUT_URL_EXPIRED: { status: 403, message: 'This output URL has expired' },

  // Forge webhooks.
  WEBHOOK_SIGNATURE_MISSING: { status: 401, message: 'Missing webhook signature: expected a {headers} header' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, message: 'Invalid webhook signature (or no project with this ?project= slug or repository URL)' },
  WEBHOOK_PROJECT_REPEATED: { status: 400, message: "Query field 'project' must be given once" },
  WEBHOOK_PROJECT_MISSING: { status: 400, message: "Missing query field 'project'" },
  WEBHOOK_UNSIGNED_TOO_LARGE: { status: 413, message: 'A delivery over {mb} MB needs ?project=<slug> in the webhook URL, so its signature is checked before the body is read' },

  // Requests as a whole: text and numbers in the URL.
  URL_TEXT_NOT_ALLOWED: { status: 400, message: "Invalid {where} '{at}': NUL and unpaired surrogates are not allowed in text" },
  URL_NUMBER_OUT_OF_RANGE: { status: 400, message: "Invalid {where} '{key}': {value} is out of range" },
  RATE_LIMITED: { status: 429, message: 'Rate limit exceeded.' },

  // Organizations, projects and who may act on them.
  NO_SUCH_ORGANIZATION: { status: 404, message: 'Organization not found.' },
  VIEWER_READ_ONLY: { status: 403, message: 'Permission denied: viewers of the organization can only read.' },

  // Runner administration (resource classes, runner tokens, runners).
  NAMESPACE_PARAM_REQUIRED: { status: 400, message: 'The namespace query parameter is required.' },
  RESOURCE_CLASS_NAME_INVALID: { status: 400, message: "Invalid resource_class '{name}': expected namespace/name." },
  NAMESPACE_OF_OTHER_ORGANIZATION: { status: 409, message: "The namespace '{namespace}' belongs to another organization." },
  RESOURCE_CLASS_EXISTS: { status: 409, message: 'Resource class {name} already exists.' },
  RESOURCE_CLASS_HAS_TOKENS: { status: 400, message: 'Resource class {name} still has runner tokens: delete them first, or delete with /force.' },
  RUNNER_TOKEN_NOT_FOUND: { status: 404, message: 'Token not found.' },
  NAMESPACE_INVALID: { status: 400, message: "Invalid namespace '{namespace}'." },
  RUNNER_FILTER_REQUIRED: { status: 400, message: 'One of the resource-class or namespace query parameters is required.' },
  QUERY_PARAM_REQUIRED: { status: 400, message: 'The {param} query parameter is required.' },
  RESOURCE_CLASS_PARAM_INVALID: { status: 400, message: "Invalid {param} '{value}': expected namespace/name." },
  RESOURCE_CLASS_NOT_FOUND: { status: 404, message: 'Resource class not found.' },
  RESOURCE_CLASS_ADMIN_ONLY: { status: 403, message: 'Only an organization admin can manage its resource classes and runner tokens.' },
  NAMESPACE_ORGANIZATION_UNKNOWN: { status: 400, message: "No organization of yours is named '{namespace}': pass org_id for the organization that owns the namespace." },
  RESOURCE_CLASS_CREATE_ADMIN_ONLY: { status: 403, message: 'Only an organization admin can create resource classes.' },

  // The runner protocol: the job API a step calls.
  JOB_TASK_CREDENTIAL_REQUIRED: { status: 401, message: 'A running job’s task id and task credential are required.' },
  OIDC_CLAIMS_REFUSED: { status: 400, message: '{reason}' },
  RELEASE_REFUSED: { status: 400, message: '{reason}' },

  // API v1.1.
  OUTPUT_INDEX_INVALID: { status: 400, message: 'index and step must be integers from 0 to 2147483647' },
  V1_TAG_AND_REVISION: { status: 400, message: 'Cannot specify both tag and revision' },
  V1_TAG_AND_BRANCH: { status: 400, message: 'Cannot specify both tag and branch' },
  V1_BRANCH_REQUIRED: { status: 400, message: 'A branch is required' },
  V1_BRANCH_IN_PATH: { status: 400, message: 'The branch is given by the path; tag and branch are not accepted here' },
  V1_TAG_WITH_BRANCH_OR_REVISION: { status: 400, message: 'Cannot specify tag with branch or revision' },
  SSH_PRIVATE_KEY_INVALID: { status: 400, message: 'private_key: {reason}' },
  SSH_KEY_NOT_FOUND: { status: 404, message: 'SSH key not found' },
  API_TOKEN_NOT_FOUND: { status: 404, message: 'Token not found' },

  // API v2: request checks, limits and conflicts of the operations.
  AUDIT_SINCE_INVALID: { status: 400, message: "Invalid query field 'since': expected an ISO-8601 date or time, got '{since}'" },
  AUDIT_LOG_ADMIN_ONLY: { status: 403, message: 'Permission denied: the audit log is for organization admins.' },
  OWNER_ID_AND_SLUG: { status: 400, message: 'Specify either {id} or {slug}, not both' },
  OWNER_REQUIRED: { status: 400, message: '{id} or {slug} is required' },
  INVALID_UUID: { status: 400, message: 'Invalid {field}: must be a UUID' },
  OWNER_SLUG_WITH_ACCOUNT: { status: 400, message: "{slug} cannot be used with {type} 'account'; give {id}" },
  OWNER_SLUG_INVALID: { status: 400, message: "Invalid {slug} '{value}': expected <vcs>/<org>, e.g. gh/my-org" },
  CONTEXT_ID_INVALID: { status: 400, message: 'context_id is invalid.' },
  CONTEXT_RESTRICTION_ADMIN_ONLY: { status: 403, message: 'Only organization admins can add or remove context restrictions.' },
  INVALID_BODY_FIELD: { status: 400, message: "Invalid body field '{field}': {problem}" },
  CONTEXT_LIMIT: { status: 400, message: 'An organization can have at most {max} contexts.' },
  CONTEXT_EXISTS: { status: 409, message: "A context named '{name}' already exists in this organization." },
  ENV_VAR_NAME_INVALID: { status: 400, message: "Invalid environment variable name '{name}': {problem}" },
  FIELD_TOO_LONG: { status: 400, message: "Invalid body field '{field}': must be {max} characters or fewer" },
  CONTEXT_ENV_VAR_LIMIT: { status: 400, message: 'A context can have at most {max} environment variables.' },
  RESTRICTION_GROUP_UNKNOWN: { status: 400, message: "Invalid body field 'restriction_value': not a group of this context's organization" },
  RESTRICTION_EXPRESSION_INVALID: { status: 400, message: "Invalid body field 'restriction_value': invalid expression: {problem}" },
  CONTEXT_RESTRICTION_EXISTS: { status: 409, message: "The restriction you're trying to add already exists." },
  RESTRICTION_ID_INVALID: { status: 400, message: 'restriction_id is invalid.' },
  DEPLOY_ENVIRONMENT_NOT_FOUND: { status: 404, message: 'Environment not found.' },
  DEPLOY_COMPONENT_NOT_FOUND: { status: 404, message: 'Component not found.' },
  NO_SUCH_PROJECT: { status: 404, message: 'Project not found.' },
  DEPLOY_NO_RELEASES: { status: 404, message: "No releases of component '{component_name}' to environment '{environment_name}' in this project." },
  DEPLOY_VERSION_UNKNOWN: { status: 400, message: "Version '{target_version}' of '{component_name}' was never deployed to '{environment_name}'." },
  ENV_VAR_NAME_CHARACTERS: { status: 400, message: "Invalid environment variable name '{name}': use letters, digits and underscores, not starting with a digit" },
  NAME_LENGTH: { status: 400, message: "Invalid body field 'name': 1 to {max} characters" },
  DESCRIPTION_TOO_LONG: { status: 400, message: "Invalid body field 'description': at most {max} characters" },
  GROUP_EXISTS: { status: 409, message: "A group named '{name}' already exists in this organization." },
  GROUP_NOT_FOUND: { status: 404, message: 'Group not found.' },
  INSIGHTS_BRANCH_AND_ALL_BRANCHES: { status: 400, message: 'Specify either branch or all-branches, not both' },
  DATE_TIME_INVALID: { status: 400, message: 'Invalid {name}: expected an ISO-8601 date-time' },
  INSIGHTS_DATES_REVERSED: { status: 400, message: 'start-date must be before end-date' },
  INSIGHTS_RANGE_TOO_LONG: { status: 400, message: 'The date range may span at most {max} days' },
  ORGANIZATION_NAME_INVALID: { status: 400, message: "Invalid body field 'name': letters, digits, '.', '_' and '-', at most {max} characters" },
  ORGANIZATION_EXISTS: { status: 409, message: "An organization named '{name}' already exists." },
  URL_ORB_PREFIX_INVALID: { status: 400, message: "Invalid body field 'prefix': an http(s) URL prefix with a host and a path, e.g. https://example.com/orbs/" },
  URL_ORB_AUTH_UNSUPPORTED: { status: 400, message: "Invalid body field 'auth': circlet fetches URL orbs without forge credentials; use 'none' (not '{auth}')" },
  URL_ORB_ENTRY_LIMIT: { status: 400, message: 'An organization can have at most {max} URL orb allow-list entries.' },
  URL_ORB_ENTRY_NOT_FOUND: { status: 404, message: 'URL orb allow-list entry not found.' },
  DEFINITION_REPO_NOT_PROJECT: { status: 400, message: "{field}.repo.external_id must be this project's id ({id}): circlet reads a definition's config and code from its project's repository" },
  NO_FIELDS: { status: 400, message: 'No JSON fields found.' },
  BRANCH_AND_TAG_EXCLUSIVE: { status: 400, message: '{what}.branch and {what}.tag are mutually exclusive' },
  CONFIG_FETCH_FAILED: { status: 400, message: 'Unable to fetch config at {ref}: {reason}' },
  CONFIG_NOT_FOUND: { status: 400, message: 'Unable to find {path} at {ref}' },
  PIPELINE_BRANCH_AND_TAG: { status: 400, message: 'You cannot specify both branch and tag' },
  POLICY_UNSUPPORTED: { status: 501, message: 'Config policies (Policy Management) are not supported by circlet: policies are Rego programs that need an OPA engine. See docs/compatibility.md#config-policies.' },
  PROJECT_VCS_URL_REQUIRED: { status: 400, message: "Missing body field 'vcs_url': the repository URL is required for this organization" },
  PROJECT_VCS_AND_REPO_URL: { status: 400, message: "Fields 'vcs_url' and 'repo_url' name the same thing; give one of them" },
  PROJECT_EXISTS: { status: 409, message: 'Project already exists' },
  PROJECT_NAME_INVALID: { status: 400, message: "Invalid project name '{name}'" },
  PROJECT_CREATE_STANDALONE: { status: 405, message: "Create projects using the API is currently supported for classic Github OAuth and Bitbucket projects only. (circlet: give the repository as 'vcs_url' in the body, or use POST {path}.)" },
  TRIGGER_NOT_FOUND: { status: 404, message: 'Trigger not found' },
  TRIGGER_PRESET_UNSUPPORTED: { status: 400, message: "event_preset '{event_preset}' is not supported by circlet (its forge events do not carry it); supported: {supported}" },
  TRIGGER_EVENT_NAME_NOT_WEBHOOK: { status: 400, message: "event_name can only be set for triggers whose event_source.provider is 'webhook'" },
  TRIGGER_CUSTOM_WEBHOOK_UNSUPPORTED: { status: 400, message: "event_source.provider 'webhook' (custom webhooks) is not supported by circlet; use the project's forge webhook (github_oauth, github_app, bitbucket_oauth, gitlab)" },
  TRIGGER_PROVIDER_UNKNOWN: { status: 400, message: "Unknown event_source.provider '{provider}'; expected one of {expected}" },
  TRIGGER_WEBHOOK_NOT_WEBHOOK: { status: 400, message: "event_source.webhook can only be given when event_source.provider is 'webhook'" },
  TRIGGER_REPO_NOT_PROJECT: { status: 400, message: "event_source.repo.external_id must be this project's id ({id}): a trigger listens to its project's forge webhook" },
  TRIGGER_WEBHOOK_UPDATE_NOT_WEBHOOK: { status: 400, message: "event_source.webhook can only be set for triggers whose event_source.provider is 'webhook'" },
  USAGE_START_AFTER_END: { status: 400, message: "'start' must be before 'end'" },
  USAGE_SPAN_TOO_LONG: { status: 400, message: 'An export covers at most 32 days between start and end' },
  USAGE_SHARED_ORG_NOT_FOUND: { status: 400, message: 'shared_org_ids: organization {shared} not found' },
  USAGE_EXPORT_NOT_FOUND: { status: 404, message: 'Usage export job not found' },
  USAGE_EXPORT_FILE_NOT_FOUND: { status: 404, message: 'Usage export file not found' },
  USAGE_DOWNLOAD_EXPIRED: { status: 403, message: 'This download URL has expired; get the export job again for fresh URLs' },
  WEBHOOK_NAME_EMPTY: { status: 400, message: "Invalid body field 'name': must not be empty" },
  WEBHOOK_EVENTS_EMPTY: { status: 400, message: "Invalid body field 'events': must name at least one event" },
  WEBHOOK_LIMIT: { status: 400, message: 'A project can have at most {max} webhooks.' },
  TIMETABLE_INVALID: { status: 400, message: '{problem}' },
  SCHEDULE_PARAMETERS_INVALID: { status: 400, message: '{problem}' },
  APPROVAL_REQUEST_ID_INVALID: { status: 400, message: 'approval_request_id must be a UUID' },

  // The dashboard’s sign-in.
  SIGN_IN_TOKEN_MISSING: { status: 400, message: "Missing body field 'token'" },
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
