// Issue 18 items 6, 7 and 10, written as the attacks: NUL and other invalid text anywhere in
// a path, query or body, and numbers out of range, are a 400 (or 404 for a number that names
// nothing) on both databases, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CONFIG = 'version: 2.1\njobs:\n  a: {machine: true, steps: [{run: echo a}]}\nworkflows: {w: {jobs: [a]}}\n';
const token64 = (json: string) => Buffer.from(json).toString('base64url');

for (const kind of databaseKinds()) {
  describe(`edge input (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let pipelineId: string;

    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      await server.project('gh/acme/app', makeRepo(CONFIG).dir);
      const res = await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', token, {});
      expect(res.status, res.text).toBe(201);
      pipelineId = res.body.id;
    });
    afterAll(async () => server?.close());

    const expect400 = async (method: string, path: string, body?: unknown, match?: RegExp) => {
      const res = await server.call(method, path, token, body);
      expect(res.status, `${method} ${path} ${res.text}`).toBe(400);
      expect(res.body.message).toMatch(match ?? /./);
    };

    it('NUL in a path, a query or a body is a 400 naming where (item 6)', async () => {
      await expect400('GET', '/api/v2/project/gh/%00/demo', undefined, /path parameter 'organization'/);
      await expect400('GET', '/api/v2/project/gh/acme/app/pipeline?branch=ma%00in', undefined, /query parameter 'branch'/);
      await expect400('POST', '/api/v2/project/gh/acme/app/pipeline', { branch: 'ma\u0000in' }, /body field 'branch'/);
      await expect400('POST', '/api/v2/project/gh/acme/app/pipeline', { parameters: { 'a\u0000': 1 } }, /body field 'parameters'/);
      await expect400('PUT', '/api/v2/webhook/00000000-0000-4000-8000-000000000000', { name: 'a\u0000b' }, /body field 'name'/);
      await expect400('POST', '/api/v2/context', { name: 'x\u0000', owner: { slug: 'gh/acme', type: 'organization' } }, /body field 'name'/);
      await expect400('GET', '/api/v1.1/project/gh/acme/app?filter=%00');
    });

    it('the token is checked before the text: without one, bad text is a 401 (GET and POST alike); HEAD is checked as GET', async () => {
      for (const [method, path, body] of [
        ['GET', '/api/v2/project/gh/%00/demo', undefined],
        ['GET', '/api/v2/me?x=%00', undefined],
        ['POST', '/api/v2/project/gh/acme/app/pipeline', { branch: 'ma\u0000in' }],
      ] as const) {
        expect((await server.call(method, path, undefined, body)).status, `${method} ${path}`).toBe(401);
      }
      expect((await server.call('HEAD', '/api/v2/me?x=%00', token)).status).toBe(400);
      // A public route (no token hook) checks its text all the same.
      expect((await server.call('GET', '/api/v2/openapi.json?x=%00')).status).toBe(400);
    });

    it('unpaired surrogates are refused alike (item 6)', async () => {
      await expect400('POST', '/api/v2/project/gh/acme/app/pipeline', '{"branch":"\\ud800x"}', /body field 'branch'/);
      // Invalid UTF-8 in a URL decodes to U+FFFD, which both databases store alike.
      expect((await server.call('GET', '/api/v2/project/gh/acme/app/pipeline?branch=%ED%A0%80', token)).status).toBe(200);
    });

    it('nothing with NUL was stored', async () => {
      const rows = await server.database.db.selectFrom('pipelines').select('id').execute();
      expect(rows).toHaveLength(1);
    });

    it('out-of-range numbers are a 400 or a 404, never a 500 (item 7)', async () => {
      for (const n of ['1e308', '99999999999999999999999', '2147483648', '-1', '1.5', 'Infinity', '0x10']) {
        expect((await server.call('GET', `/api/v2/project/gh/acme/app/pipeline/${n}`, token)).status, n).toBe(404);
        expect((await server.call('GET', `/api/v2/project/gh/acme/app/job/${n}`, token)).status, n).toBe(404);
        expect((await server.call('GET', `/api/v1.1/project/gh/acme/app/${n}`, token)).status, n).toBe(404);
      }
      for (const q of ['offset=1e308', 'offset=99999999999999999999999', 'limit=1e308', 'offset=-1', 'offset=Infinity']) {
        await expect400('GET', `/api/v1.1/project/gh/acme/app?${q}`);
        await expect400('GET', `/api/v1.1/recent-builds?${q}`);
      }
      await expect400('GET', `/api/v1.1/project/gh/acme/app/1/output/1e308/0`.replace('/api/v1.1/project', '/api/private/output/raw'));
    });

    it('page tokens out of form or range are a 400 on every list (items 7 and 10)', async () => {
      const bad = [token64('{"k":[1e308]}'), token64('{"k":[-1]}'), token64('["abc"]'), '1.5', token64('{"k":[1.5]}'), token64('{"k":["a\\u0000"]}')];
      for (const t of bad) {
        await expect400('GET', `/api/v2/pipeline/${pipelineId}/workflow?page-token=${t}`, undefined, /page-token/);
        await expect400('GET', `/api/v2/project/gh/acme/app/pipeline?page-token=${t}`, undefined, /page-token/);
        await expect400('GET', `/api/v2/project/gh/acme/app/envvar?page-token=${t}`, undefined, /page-token/);
      }
    });

    it('runner seq, index and exit_code out of range are a 400; output with NUL is stored, not refused', async () => {
      const agent = new ScriptedAgent({ url: server.url, token: await createRunnerToken(server.database.db, 'edge') });
      const t = (await agent.claim(2_000))!;
      const id = t.task.id;
      expect((await agent.call(`/tasks/${id}/steps`, { index: 0, name: 'run', type: 'run' })).status).toBe(200);
      for (const n of ['1e308', '-1e308', '18446744073709552000', '2147483648']) {
        expect((await agent.call(`/tasks/${id}/steps/0/output`, JSON.parse(`{"seq":${n},"data":"x"}`))).status, n).toBe(400);
        expect((await agent.call(`/tasks/${id}/steps`, JSON.parse(`{"index":${n},"name":"x","type":"run"}`))).status, n).toBe(400);
        expect((await agent.call(`/tasks/${id}/steps/0/end`, JSON.parse(`{"status":"success","exit_code":${n}}`))).status, n).toBe(400);
        expect((await agent.call(`/tasks/${id}/steps/${n}/output`, { seq: 0, data: 'x' })).status, n).toBe(400);
      }
      expect((await agent.call(`/tasks/${id}/steps/0/output`, { seq: 0, data: 'bin\u0000ary \ud800\n' })).status).toBe(200);
      const rows = await server.database.db.selectFrom('step_output').select('data').where('task_id', '=', id).execute();
      expect(rows.map((r) => r.data)).toEqual(['bin\uFFFDary \uFFFD\n']);
      await agent.finish(t);
    });

    it('raw output: bytes stored as text once per seq, bad UTF-8 and NUL as U+FFFD, the agent and content type checked', async () => {
      expect((await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', token, {})).status).toBe(201);
      const runnerToken = await createRunnerToken(server.database.db, 'raw');
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      const t = (await agent.claim(10_000))!;
      const id = t.task.id;
      expect((await agent.call(`/tasks/${id}/steps`, { index: 0, name: 'run', type: 'run' })).status).toBe(200);
      const raw = (query: string, body: Buffer | string, headers: Record<string, string> = {}) =>
        fetch(`${server.url}/api/runner/v1/tasks/${id}/steps/0/output/raw?${query}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-task-credential': t.task.credential, 'x-circlet-agent': agent.agentId, 'content-type': 'application/octet-stream', ...headers },
          body,
        });
      const bytes = Buffer.concat([Buffer.from('héllo '), Buffer.from([0xff, 0x00]), Buffer.from(' ✓\n')]);
      for (let i = 0; i < 2; i++) expect((await raw('seq=0', bytes)).status).toBe(200);
      expect((await raw('seq=1&stream=err', 'second\n')).status).toBe(200);
      expect((await raw('seq=2', '')).status).toBe(200);
      expect((await raw('seq=-1', 'x')).status).toBe(400);
      expect((await raw('stream=out', 'x')).status).toBe(400);
      expect((await raw('seq=3&stream=both', 'x')).status).toBe(400);
      expect((await raw('seq=3', '{"data":"x"}', { 'content-type': 'application/json' })).status).toBe(415);
      expect((await raw('seq=3', 'x', { 'x-circlet-agent': 'someone-else' })).status).toBe(409);
      // Valid UTF-8 goes to the database as the bytes it came as (no decode): stored as text all the same.
      const valid = 'ünï ✓ 🚀\n';
      expect((await raw('seq=3', Buffer.from(valid))).status).toBe(200);
      const rows = await server.database.db.selectFrom('step_output').select(['seq', 'stream', 'data']).where('task_id', '=', id).orderBy('seq').execute();
      expect(rows).toEqual([
        { seq: 0, stream: 'out', data: 'héllo \uFFFD\uFFFD ✓\n' },
        { seq: 1, stream: 'err', data: 'second\n' },
        { seq: 3, stream: 'out', data: valid },
      ]);
      const step = await server.database.db.selectFrom('steps').select('output_bytes').where('task_id', '=', id).executeTakeFirstOrThrow();
      expect(Number(step.output_bytes)).toBe(Buffer.byteLength('héllo \uFFFD\uFFFD ✓\n') + 'second\n'.length + Buffer.byteLength(valid));
      await agent.finish(t);
    });

    it('raw output: bodies read into reused buffers are stored as sent; chunked bodies are taken; over 8 MiB is a 413', async () => {
      expect((await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', token, {})).status).toBe(201);
      const runnerToken = await createRunnerToken(server.database.db, 'raw-buffers');
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      const t = (await agent.claim(10_000))!;
      const id = t.task.id;
      expect((await agent.call(`/tasks/${id}/steps`, { index: 0, name: 'run', type: 'run' })).status).toBe(200);
      const raw = (seq: number, body: Buffer | ReadableStream<Uint8Array>) =>
        fetch(`${server.url}/api/runner/v1/tasks/${id}/steps/0/output/raw?seq=${seq}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${runnerToken}`, 'x-circlet-task-credential': t.task.credential, 'x-circlet-agent': agent.agentId, 'content-type': 'application/octet-stream' },
          body,
          duplex: 'half',
        } as RequestInit);
      // Same size class one after the other: the second must not show any byte of the first.
      const a = Buffer.from('a'.repeat(999_999) + '\n');
      const b = Buffer.from('b'.repeat(700_000) + '\n');
      expect((await raw(0, a)).status).toBe(200);
      expect((await raw(1, b)).status).toBe(200);
      const pieces = [Buffer.from('chunked '), Buffer.from('body\n')];
      const chunked = new ReadableStream<Uint8Array>({ pull: (c) => (pieces.length > 0 ? c.enqueue(pieces.shift()!) : c.close()) });
      expect((await raw(2, chunked)).status).toBe(200);
      expect((await raw(3, Buffer.alloc(8 * 1024 * 1024 + 1, 0x61))).status).toBe(413);
      const rows = await server.database.db.selectFrom('step_output').select(['seq', 'data']).where('task_id', '=', id).orderBy('seq').execute();
      expect(rows.map((r) => [r.seq, r.data.length, r.data.slice(0, 3), r.data.slice(-3)])).toEqual([
        [0, a.length, 'aaa', 'aa\n'],
        [1, b.length, 'bbb', 'bb\n'],
        [2, 13, 'chu', 'dy\n'],
      ]);
      expect(rows[0]!.data).toBe(a.toString());
      expect(rows[1]!.data).toBe(b.toString());
      await agent.finish(t);
    });
  });
}
