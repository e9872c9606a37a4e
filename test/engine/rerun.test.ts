// Table tests for which jobs a rerun runs again.
import { describe, expect, it } from 'vitest';
import { rerunSet, type RerunOptions } from '../../src/engine/pipeline/rerun.ts';
import type { JobStatus } from '../../src/domain/statuses.ts';

// build → test, lint → deploy; docs is a separate subgraph; hold → release after deploy.
function graph(status: Record<string, JobStatus>) {
  const requires: Record<string, string[]> = {
    build: [],
    test: ['build'],
    lint: ['build'],
    deploy: ['test', 'lint'],
    hold: ['deploy'],
    release: ['hold'],
    docs: [],
  };
  return Object.entries(requires).map(([id, reqs]) => ({
    id,
    status: status[id] ?? 'success',
    requires: JSON.stringify(reqs.map((r) => ({ job_id: r, name: r, statuses: ['success'] }))),
  }));
}

describe('rerunSet', () => {
  const table: [string, Record<string, JobStatus>, RerunOptions, string[]][] = [
    ['everything by default', {}, {}, ['build', 'deploy', 'docs', 'hold', 'lint', 'release', 'test']],
    ['from_failed: the failure and everything below it', { test: 'failed', deploy: 'not_run', hold: 'not_run', release: 'not_run' }, { fromFailed: true }, ['deploy', 'hold', 'release', 'test']],
    ['from_failed: timedout and infrastructure_fail count', { test: 'timedout', lint: 'infrastructure_fail', deploy: 'not_run', hold: 'not_run', release: 'not_run' }, { fromFailed: true }, ['deploy', 'hold', 'lint', 'release', 'test']],
    ['from_failed: canceled jobs and an unapproved hold', { deploy: 'canceled', hold: 'canceled', release: 'not_run' }, { fromFailed: true }, ['deploy', 'hold', 'release']],
    ['from_failed: unauthorized', { docs: 'unauthorized' }, { fromFailed: true }, ['docs']],
    ['from_failed on a successful workflow: nothing', {}, { fromFailed: true }, []],
    ['jobs: the chosen job and everything below it', {}, { jobs: ['lint'] }, ['deploy', 'hold', 'lint', 'release']],
    ['jobs: a leaf', {}, { jobs: ['docs'] }, ['docs']],
    ['jobs with sparse_tree: the same jobs run', {}, { jobs: ['lint'], sparseTree: true }, ['deploy', 'hold', 'lint', 'release']],
  ];
  it.each(table)('%s', (_name, status, opts, expected) => expect([...rerunSet(graph(status), opts)].sort()).toEqual(expected));
});
