// Numbered, append-only migrations. Add new ones at the end; never edit a landed one.
import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_engine.ts';
import * as m0003 from './0003_engine_claim_queue.ts';
import * as m0004 from './0004_job_outputs.ts';
import * as m0006 from './0006_webhooks.ts';
import * as m0007 from './0007_schedules.ts';
import * as m0008 from './0008_insights.ts';
import * as m0009 from './0009_web_sessions.ts';
import * as m0010 from './0010_project_follows.ts';
import * as m0011 from './0011_runner_scope.ts';
import * as m0012 from './0012_operations.ts';
import * as m0013 from './0013_audit_log.ts';
import * as m0014 from './0014_pipeline_definitions.ts';
import * as m0015 from './0015_usage_exports.ts';
import * as m0016 from './0016_oidc_and_org_groups.ts';
import * as m0017 from './0017_deploys.ts';
import * as m0018 from './0018_scale_out.ts';
import * as m0019 from './0019_insights_runs.ts';
import * as m0020 from './0020_additional_ssh_keys.ts';
import * as m0021 from './0021_pipeline_first_claim.ts';
import * as m0024 from './0024_open_jobs.ts';
import * as m0025 from './0025_insights_job_update.ts';
import * as m0026 from './0026_step_output_lz4.ts';
import * as m0028 from './0028_insights_test_jobs.ts';
import * as m0029 from './0029_insights_approvals_test_runs.ts';
import * as m0030 from './0030_insights_test_runs_branch.ts';
import * as m0031 from './0031_drop_insights_test_jobs.ts';

export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_engine': m0002,
  '0003_engine_claim_queue': m0003,
  '0004_job_outputs': m0004,
  '0006_webhooks': m0006,
  '0007_schedules': m0007,
  '0008_insights': m0008,
  '0009_web_sessions': m0009,
  '0010_project_follows': m0010,
  '0011_runner_scope': m0011,
  '0012_operations': m0012,
  '0013_audit_log': m0013,
  '0014_pipeline_definitions': m0014,
  '0015_usage_exports': m0015,
  '0016_oidc_and_org_groups': m0016,
  '0017_deploys': m0017,
  '0018_scale_out': m0018,
  '0019_insights_runs': m0019,
  '0020_additional_ssh_keys': m0020,
  '0021_pipeline_first_claim': m0021,
  '0024_open_jobs': m0024,
  '0025_insights_job_update': m0025,
  '0026_step_output_lz4': m0026,
  '0028_insights_test_jobs': m0028,
  '0029_insights_approvals_test_runs': m0029,
  '0030_insights_test_runs_branch': m0030,
  '0031_drop_insights_test_jobs': m0031,
};
