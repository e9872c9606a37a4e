// CircleCI's usage export layout: one CSV row per job run, CircleCI's column names in its
// order, `\N` for a value there is none of. circlet bills nothing and samples no CPU or RAM,
// so the credit and utilization columns are 0 and `\N` (docs/usage-export.md).
import type { UsageRow } from '../../storage/usage-exports.ts';

export const USAGE_COLUMNS = [
  'ORGANIZATION_ID',
  'ORGANIZATION_NAME',
  'ORGANIZATION_CREATED_DATE',
  'PROJECT_ID',
  'PROJECT_NAME',
  'PROJECT_CREATED_DATE',
  'LAST_BUILD_FINISHED_AT',
  'VCS_NAME',
  'VCS_URL',
  'VCS_BRANCH',
  'PIPELINE_ID',
  'PIPELINE_CREATED_AT',
  'PIPELINE_NUMBER',
  'IS_UNREGISTERED_USER',
  'PIPELINE_TRIGGER_SOURCE',
  'PIPELINE_TRIGGER_USER_ID',
  'WORKFLOW_ID',
  'WORKFLOW_NAME',
  'WORKFLOW_FIRST_JOB_QUEUED_AT',
  'WORKFLOW_FIRST_JOB_STARTED_AT',
  'WORKFLOW_STOPPED_AT',
  'IS_WORKFLOW_SUCCESSFUL',
  'JOB_NAME',
  'JOB_RUN_NUMBER',
  'JOB_ID',
  'JOB_RUN_DATE',
  'JOB_RUN_QUEUED_AT',
  'JOB_RUN_STARTED_AT',
  'JOB_RUN_STOPPED_AT',
  'JOB_BUILD_STATUS',
  'RESOURCE_CLASS',
  'OPERATING_SYSTEM',
  'EXECUTOR',
  'PARALLELISM',
  'JOB_RUN_SECONDS',
  'MEDIAN_CPU_UTILIZATION_PCT',
  'MAX_CPU_UTILIZATION_PCT',
  'MEDIAN_RAM_UTILIZATION_PCT',
  'MAX_RAM_UTILIZATION_PCT',
  'COMPUTE_CREDITS',
  'DLC_CREDITS',
  'USER_CREDITS',
  'STORAGE_CREDITS',
  'NETWORK_CREDITS',
  'LEASE_CREDITS',
  'LEASE_OVERAGE_CREDITS',
  'IPRANGES_CREDITS',
  'TOTAL_CREDITS',
] as const;

const NONE = '\\N';
const VCS_NAMES: Record<string, string> = { github: 'github', bitbucket: 'bitbucket', circleci: 'circleci' };

function operatingSystem(executor: string): string {
  return executor === 'macos' ? 'macos' : executor === 'windows' ? 'windows' : 'linux';
}

/** `2026-01-02T03:04:05.678Z` → `2026-01-02 03:04:05.678` (the export's timestamp form, UTC). */
function ts(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/Z$/, '') : NONE;
}

/** One RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export interface RowContext {
  firstJob?: { queued_at: string | null; started_at: string | null };
  lastBuildFinishedAt?: string;
}

/** The CSV fields of one job run, in USAGE_COLUMNS order. */
export function usageFields(r: UsageRow, ctx: RowContext = {}): string[] {
  const seconds = Math.max(0, Math.round((Date.parse(r.job_stopped_at) - Date.parse(r.job_started_at)) / 1000));
  const fields: string[] = [
    r.organization_id,
    r.organization_name,
    ts(r.organization_created_at),
    r.project_id,
    r.project_name,
    ts(r.project_created_at),
    ts(ctx.lastBuildFinishedAt ?? r.job_stopped_at),
    VCS_NAMES[r.vcs_type] ?? r.vcs_type,
    r.vcs_url,
    r.branch ?? NONE,
    r.pipeline_id,
    ts(r.pipeline_created_at),
    String(r.pipeline_number),
    r.trigger_actor_id ? 'false' : 'true',
    r.trigger_type,
    r.trigger_actor_id ?? NONE,
    r.workflow_id,
    r.workflow_name,
    ts(ctx.firstJob?.queued_at),
    ts(ctx.firstJob?.started_at),
    ts(r.workflow_stopped_at),
    r.workflow_stopped_at ? String(r.workflow_status === 'success') : NONE,
    r.job_name,
    r.job_number === null ? NONE : String(r.job_number),
    r.job_id,
    r.job_started_at.slice(0, 10),
    ts(r.job_queued_at),
    ts(r.job_started_at),
    ts(r.job_stopped_at),
    r.job_status,
    r.resource_class,
    operatingSystem(r.executor),
    r.executor,
    String(r.parallelism),
    String(seconds),
    NONE,
    NONE,
    NONE,
    NONE,
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
  ];
  return fields;
}

export const csvLine = (fields: readonly string[]) => fields.map(csvField).join(',') + '\n';
