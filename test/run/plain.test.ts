// The plain reporter (pipes and CI logs): each event as lines prefixed with its job.
import { describe, expect, it } from 'vitest';
import { PlainReporter } from '../../src/run/reporters/plain.ts';

describe('plain reporter', () => {
  it('says a parallel job started whichever node the agent claimed first', () => {
    let out = '';
    const r = new PlainReporter((s) => (out += s));
    r.event({ type: 'job_started', workflow: 'main', job: 'test', node: 1, nodes: 2 });
    r.event({ type: 'step_started', workflow: 'main', job: 'test', node: 1, nodes: 2, step: 0, name: 'Spin up environment' });
    r.event({ type: 'job_started', workflow: 'main', job: 'build', node: 0, nodes: 1 });
    expect(out.split('\n')).toEqual(['[test] started (2 nodes)', '[test[1]] ==> Spin up environment', '[build] started', '']);
  });
});
