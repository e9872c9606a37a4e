// `circlet runner token create` as a real child process, against the data of a running server.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { killAll, runCli, startServe, TOKEN_RE, type ServeProcess } from './child.ts';

async function claim(url: string, token: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/api/runner/v1/claim`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agent_id: 'cli-test', wait_ms: 0, ...body }),
  });
  return res.status;
}

describe('circlet runner token create', () => {
  let dir: string;
  let server: ServeProcess;
  beforeAll(async () => {
    dir = tempDir('circlet-cli-runner-');
    server = await startServe(['--port', '0', '--data-dir', dir, ...((await serveHelp()).includes('--agents') ? ['--agents', '0'] : [])]);
  });
  afterAll(async () => {
    if (server) await server.stop();
    killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints only a token, which the running server accepts for claims', async () => {
    const res = await runCli(['runner', 'token', 'create', '--data-dir', dir, '--name', 'ci-box']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const token = res.stdout.trim();
    expect(res.stdout).toBe(token + '\n');
    expect(token).toMatch(TOKEN_RE);
    expect(await claim(server.url, token)).toBe(204);
    expect(await claim(server.url, 'f'.repeat(40))).toBe(401);
  });

  it('takes a self-hosted resource class, once the class exists for an organization', async () => {
    const missing = await runCli(['runner', 'token', 'create', '--data-dir', dir, '--resource-class', 'acme/big-box']);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/resource class acme\/big-box does not exist/);
    const noOrg = await runCli(['runner', 'resource-class', 'create', 'acme/big-box', '--org', 'gh/acme', '--data-dir', dir]);
    expect(noOrg.code).not.toBe(0);
    expect(noOrg.stderr).toMatch(/no organization gh\/acme/);
    const repo = makeRepo().dir;
    expect((await runCli(['project', 'add', 'gh/acme/app', '--repo', repo, '--data-dir', dir])).code).toBe(0);
    const rc = await runCli(['runner', 'resource-class', 'create', 'acme/big-box', '--org', 'gh/acme', '--data-dir', dir]);
    expect(rc.stderr).toBe('');
    expect(rc.stdout).toBe('acme/big-box\n');
    const again = await runCli(['runner', 'resource-class', 'create', 'acme/big-box', '--org', 'gh/acme', '--data-dir', dir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    const res = await runCli(['runner', 'token', 'create', '--data-dir', dir, '--resource-class', 'acme/big-box']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(TOKEN_RE);
    expect(await claim(server.url, res.stdout.trim(), { executors: ['machine'] })).toBe(204);
  });

  it('rejects a resource class that is not namespace/name', async () => {
    const res = await runCli(['runner', 'token', 'create', '--data-dir', dir, '--resource-class', 'large']);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/resource-class/);
  });
});

async function serveHelp(): Promise<string> {
  return (await runCli(['serve', '--help'])).stdout;
}
