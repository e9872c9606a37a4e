// The plain reporter (pipes and CI logs): each event as lines prefixed with its job.
import { describe, expect, it } from 'vitest';
import { duration } from '../../src/run/reporters/format.ts';
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

describe('durations', () => {
  it('round before splitting minutes and seconds', () => {
    expect([999, 1_000, 59_940, 59_970, 61_000, 179_600, 3_599_700].map(duration)).toEqual(['999ms', '1.0s', '59.9s', '1m00s', '1m01s', '3m00s', '60m00s']);
  });
});
