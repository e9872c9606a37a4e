// Job groups: expansion of a group invocation into its member jobs (inferred semantics).
import { describe, expect, it } from 'vitest';
import { compile, compiled, messages, yml } from './helpers.ts';

const src = yml`
  version: 2.1
  jobs:
    build: {docker: [{image: x}], steps: [{run: build}]}
    test: {docker: [{image: x}], steps: [{run: test}]}
    deploy: {docker: [{image: x}], steps: [{run: deploy}]}
    notify: {docker: [{image: x}], steps: [{run: notify}]}
  job-groups:
    release:
      jobs:
        - test
        - deploy: {requires: [test]}
  workflows:
    w:
      jobs:
        - build
        - release: {requires: [build], context: [prod], serial-group: deploys}
        - notify: {requires: [release]}
`;

describe('job groups', () => {
  it('expands a group invocation into its jobs, inheriting requires/context/serial-group', async () => {
    const c = await compiled(src);
    expect(Object.keys(c.jobs)).toEqual(['build', 'test', 'deploy', 'notify']);
    expect(c.workflows.w.jobs).toEqual([
      'build',
      { test: { requires: ['build'], context: ['prod'], 'serial-group': 'deploys' } },
      { deploy: { requires: ['test'], context: ['prod'], 'serial-group': 'deploys' } },
      { notify: { requires: ['test', 'deploy'] } },
    ]);
    expect(Object.keys(c)).toEqual(['version', 'jobs', 'workflows']);
  });
  it('reports unknown jobs inside a group at the group’s path', async () => {
    const r = await compile(src.replace('- test\n', '- nope\n'));
    expect(messages(r)).toContain('Cannot find a definition for job named nope');
    expect(r.diagnostics.find((d) => d.message.includes('nope'))?.path).toBe('job-groups.release.jobs[0]');
  });
  it('reports unexpected group arguments', async () => {
    expect(messages(await compile(src.replace('serial-group: deploys', 'bogus: 1')))).toEqual(['Unexpected argument(s): bogus']);
  });
});
