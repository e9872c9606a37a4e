// `circlet audit` as a real child process over a data dir the CLI itself wrote to: the
// actions of `circlet token create` and `circlet project add|member` are in it, as JSON lines
// and as CSV, filtered by organization and time.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/child.ts';
import { tempDir } from '../helpers/databases.ts';

describe('circlet audit', () => {
  const dir = tempDir('circlet-audit-cli-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the CLI’s own actions as JSON lines and CSV', async () => {
    const d = ['--data-dir', dir];
    const token = await runCli(['token', 'create', '--login', 'carol', '--name', 'laptop', ...d]);
    expect(token.code, token.stderr).toBe(0);
    const secretToken = token.stdout.trim();
    expect((await runCli(['project', 'add', 'gh/acme/app', '--repo', dir, ...d])).code).toBe(0);
    expect((await runCli(['project', 'member', 'add', 'gh/acme/app', 'carol', '--role', 'member', ...d])).code).toBe(0);
    expect((await runCli(['project', 'add', 'gh/other/x', '--repo', dir, ...d])).code).toBe(0);

    const all = await runCli(['audit', ...d]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const actions = lines.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.created', 'api_token.created', 'project.created', 'organization.member_added']));
    expect(lines.find((e) => e.action === 'api_token.created')).toMatchObject({ source: 'cli', target: { type: 'user', name: 'carol' }, detail: { token_name: 'laptop' } });
    expect(all.stdout).not.toContain(secretToken);

    // --org: acme's events and its members' user-level events (carol's token), not gh/other's.
    const acme = await runCli(['audit', '--org', 'gh/acme', ...d]);
    const acmeLines = acme.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(acmeLines.some((e) => e.target.name === 'gh/other/x')).toBe(false);
    expect(acmeLines.some((e) => e.action === 'api_token.created' && e.target.name === 'carol')).toBe(true);
    expect(acmeLines.some((e) => e.action === 'organization.member_added' && e.target.name === 'carol' && e.detail.role === 'contributor')).toBe(true);

    const csv = await runCli(['audit', '--format', 'csv', '--since', '1h', ...d]);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toBe('occurred_at,organization_id,actor_id,actor_login,source,ip,action,target_type,target_id,target_name,outcome,detail');
    expect(rows.length).toBe(lines.length + 1);
    expect(rows.some((r) => /,project\.created,project,[0-9a-f-]{36},gh\/acme\/app,success,"\{""os_user""/.test(r))).toBe(true);

    const future = await runCli(['audit', '--since', '2999-01-01', ...d]);
    expect(future.stdout).toBe('');
    const bad = await runCli(['audit', '--since', 'yesterday', ...d]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--since/);
    const noOrg = await runCli(['audit', '--org', 'gh/nope', ...d]);
    expect(noOrg.code).toBe(1);
    expect(noOrg.stderr).toMatch(/no organization 'gh\/nope'/);
  });
});
