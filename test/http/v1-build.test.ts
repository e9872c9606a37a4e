// Pure pieces of the v1.1 build shape and the pipeline definition id.
import { describe, expect, it } from 'vitest';
import { v1Status } from '../../src/http/v1/presenters/build.ts';
import { defaultDefinitionId, uuidV5 } from '../../src/domain/definition-id.ts';

describe('v1Status', () => {
  it.each([
    ['queued', undefined, { lifecycle: 'queued', outcome: null, status: 'queued' }],
    ['running', undefined, { lifecycle: 'running', outcome: null, status: 'running' }],
    ['success', undefined, { lifecycle: 'finished', outcome: 'success', status: 'success' }],
    ['success', 'success', { lifecycle: 'finished', outcome: 'success', status: 'success' }],
    ['success', 'failed', { lifecycle: 'finished', outcome: 'success', status: 'fixed' }],
    ['success', 'timedout', { lifecycle: 'finished', outcome: 'success', status: 'fixed' }],
    ['success', 'canceled', { lifecycle: 'finished', outcome: 'success', status: 'success' }],
    ['failed', undefined, { lifecycle: 'finished', outcome: 'failed', status: 'failed' }],
    ['infrastructure_fail', undefined, { lifecycle: 'finished', outcome: 'infrastructure_fail', status: 'infrastructure_fail' }],
    ['timedout', undefined, { lifecycle: 'finished', outcome: 'timedout', status: 'timedout' }],
    ['canceled', undefined, { lifecycle: 'finished', outcome: 'canceled', status: 'canceled' }],
    ['blocked', undefined, { lifecycle: 'not_running', outcome: null, status: 'not_running' }],
    ['not_run', undefined, { lifecycle: 'not_run', outcome: null, status: 'not_run' }],
    ['unauthorized', undefined, { lifecycle: 'not_run', outcome: null, status: 'not_run' }],
  ])('%s (previous %s)', (job, previous, want) => {
    expect(v1Status(job, previous)).toEqual(want);
  });
});

describe('pipeline definition ids', () => {
  it('are RFC 9562 version-5 UUIDs', () => {
    // The RFC's own example: "www.example.com" in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('are stable per project and differ between projects', () => {
    const a = '0b6c1a52-7d0e-4b8f-9a51-2f7c9d3e4a10';
    const b = '0b6c1a52-7d0e-4b8f-9a51-2f7c9d3e4a11';
    expect(defaultDefinitionId(a)).toBe(defaultDefinitionId(a));
    expect(defaultDefinitionId(a)).not.toBe(defaultDefinitionId(b));
    expect(defaultDefinitionId(a)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
