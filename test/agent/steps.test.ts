// Step titles, by kind: what the UI calls a step without a `name`.
import { describe, expect, it } from 'vitest';
import { stepTitle } from '../../src/agent/steps/index.ts';
import { readStep } from '../../src/config/read-compiled.ts';

describe('stepTitle', () => {
  const table: [unknown, string][] = [
    [{ run: 'npm ci\nnpm test' }, 'npm ci'],
    [{ run: { command: '  \n' } }, 'run'],
    [{ deploy: 'ship it' }, 'ship it'],
    [{ run: { name: 'Tests', command: 'npm test' } }, 'Tests'],
    [{ run: { command: 'x'.repeat(300) } }, 'x'.repeat(197) + '...'],
    ['checkout', 'Checkout code'],
    ['setup_remote_docker', 'Setup a remote Docker engine'],
    [{ save_cache: { key: 'k', paths: ['a'] } }, 'Saving cache'],
    [{ restore_cache: { key: 'k' } }, 'Restoring cache'],
    [{ persist_to_workspace: { root: '.', paths: ['a'] } }, 'Persisting to Workspace'],
    [{ attach_workspace: { at: '.' } }, 'Attaching Workspace'],
    [{ store_artifacts: { path: 'a' } }, 'Uploading artifacts'],
    [{ store_test_results: { path: 'a' } }, 'Uploading test results'],
    ['add_ssh_keys', 'Install additional SSH keys'],
    ['install_signing_bundle', 'install_signing_bundle'],
    [{ 'orb/cmd': {} }, 'orb/cmd'],
    [{ 'orb/cmd': { name: 7 } }, '7'],
    [[1, 2], 'unknown'],
  ];
  it.each(table)('%j → %s', (raw, title) => expect(stepTitle(readStep(raw))).toBe(title));
});
