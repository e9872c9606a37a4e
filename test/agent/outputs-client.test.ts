// The agent's outputs client against a real server (a task claimed by a scripted agent),
// and the host executor's tar and file primitives the output steps use.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerClient } from '../../src/agent/client.ts';
import { compress, decompress, OutputsClient } from '../../src/agent/outputs-client.ts';
import { HostExecutor } from '../../src/executor/host.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { jobSpec } from '../executor/contract.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent, type ClaimedTask } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

async function text(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

for (const kind of databaseKinds()) {
  describe(`outputs client (${kind.name})`, () => {
    let server: TestServer;
    let runnerToken: string;
    let agent: ScriptedAgent;
    let task: ClaimedTask;
    beforeAll(async () => {
      server = await startTestServer(kind);
      const token = (await server.user('alice', 'acme')).token;
      runnerToken = await createRunnerToken(server.database.db, 'test');
      await server.project('gh/acme/oc', makeRepo('version: 2.1\njobs:\n  a: {machine: true, steps: [{run: echo a}]}\nworkflows: {w: {jobs: [a]}}\n').dir);
      expect((await server.call('POST', '/api/v2/project/gh/acme/oc/pipeline', token, {})).status).toBe(201);
      agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      task = (await agent.claim(5000))!;
    });
    afterAll(async () => server?.close());

    const client = (agentId = agent.agentId) => {
      const runner = new RunnerClient({ url: server.url, token: runnerToken, agentId });
      runner.hold(task.task.id, task.task.credential);
      return new OutputsClient(runner, task.task.id);
    };

    it('never stores a cache whose upload broke off; stores, keeps and serves a whole one', async () => {
      const broken = new Readable({
        read() {
          this.push(Buffer.alloc(64 * 1024, 1));
          setTimeout(() => this.destroy(new Error('tar failed')), 20);
        },
      });
      await expect(client().saveCache('k-broken', compress(broken))).rejects.toThrow();
      expect(await client().lookupCache(['k-broken'])).toBeUndefined();

      expect(await client().saveCache('k-1', compress(Readable.from([Buffer.from('first')])))).toBe('saved');
      expect(await client().saveCache('k-1', compress(Readable.from([Buffer.from('second')])))).toBe('exists');
      const found = await client().lookupCache(['nope', 'k-']);
      expect(found?.key).toBe('k-1');
      expect(await text(decompress((await client().downloadCache('k-1'))!))).toBe('first');
      expect(await client().downloadCache('k-2')).toBeUndefined();
    });

    it('sends an upload again, made afresh, when the connection breaks off mid-upload (a replica killed behind a balancer)', async () => {
      // A forwarder to the server that cuts the first connection carrying an upload after 16 KiB.
      let cut = false;
      const sockets = new Set<net.Socket>();
      const forwarder = net.createServer((c) => {
        const up = net.connect(new URL(server.url).port ? Number(new URL(server.url).port) : 80, '127.0.0.1');
        sockets.add(c).add(up);
        let seen = 0;
        c.on('data', (d: Buffer) => {
          seen += d.length;
          if (!cut && seen > 16 * 1024) {
            cut = true;
            c.destroy();
            up.destroy();
            return;
          }
          up.write(d);
        });
        up.pipe(c);
        c.on('error', () => up.destroy());
        up.on('error', () => c.destroy());
        c.on('close', () => up.destroy());
      });
      await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', () => r()));
      try {
        const runner = new RunnerClient({ url: `http://127.0.0.1:${(forwarder.address() as net.AddressInfo).port}`, token: runnerToken, agentId: agent.agentId, retryDelayMs: 10 });
        runner.hold(task.task.id, task.task.credential);
        const out = new OutputsClient(runner, task.task.id);
        const data = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''));
        let made = 0;
        expect(await out.saveCache('k-retried', async () => (made++, Readable.from([data])))).toBe('saved');
        expect(cut).toBe(true);
        expect(made).toBe(2);
        expect((await text((await client().downloadCache('k-retried'))!)).length).toBe(data.length);
        // A stream given as it is cannot be sent again: one attempt, and the cut is an error.
        cut = false;
        await expect(out.uploadArtifact('once.txt', Readable.from([data]))).rejects.toThrow();
      } finally {
        for (const so of sockets) so.destroy();
        await new Promise((r) => forwarder.close(r));
      }
    });

    it('says the lease is lost when the task is not running on this agent', async () => {
      await expect(client('someone-else').lookupCache(['k'])).rejects.toMatchObject({ code: 'LEASE_LOST', statusCode: 409 });
      await expect(client('someone-else').uploadArtifact('a.txt', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ code: 'LEASE_LOST', statusCode: 409 });
    });
  });
}

describe('host executor files and tar', () => {
  const exec = new HostExecutor({ workDir: tempDir('circlet-tar-') });

  it('archives what exists, extracts over what is there, lists and streams files', async () => {
    const ws = await exec.prepare(jobSpec(`tar-${Date.now()}`, { machine: true }));
    const src = path.join(ws.home, 'src');
    fs.mkdirSync(path.join(src, 'd/e'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a.txt'), 'A');
    fs.writeFileSync(path.join(src, 'd/e/b.txt'), 'BB');
    fs.symlinkSync('a.txt', path.join(src, 'link'));
    const tar = await exec.exportTar(ws, src, ['a.txt', 'd', 'link', 'missing']);
    expect(tar.included).toEqual(['a.txt', 'd', 'link']);
    expect(tar.missing).toEqual(['missing']);
    const dst = path.join(ws.home, 'dst');
    fs.mkdirSync(dst);
    fs.writeFileSync(path.join(dst, 'a.txt'), 'old');
    fs.writeFileSync(path.join(dst, 'keep.txt'), 'K');
    await exec.importTar(ws, decompress(compress(tar.stream)), '~/dst');
    expect(fs.readFileSync(path.join(dst, 'a.txt'), 'utf8')).toBe('A');
    expect(fs.readFileSync(path.join(dst, 'd/e/b.txt'), 'utf8')).toBe('BB');
    expect(fs.readFileSync(path.join(dst, 'keep.txt'), 'utf8')).toBe('K');
    expect(fs.readlinkSync(path.join(dst, 'link'))).toBe('a.txt');

    expect((await exec.listFiles(ws, '~/dst')).map((e) => [path.relative(dst, e.path), e.type, e.size])).toEqual([
      ['', 'dir', 0],
      ['a.txt', 'file', 1],
      ['d', 'dir', 0],
      ['d/e', 'dir', 0],
      ['d/e/b.txt', 'file', 2],
      ['keep.txt', 'file', 1],
      ['link', 'symlink', 0],
    ]);
    expect(await exec.listFiles(ws, '~/nothing')).toEqual([]);
    expect(await text((await exec.readStream(ws, '~/dst/d/e/b.txt'))!)).toBe('BB');
    expect(await exec.readStream(ws, '~/dst/d')).toBeUndefined();

    const none = await exec.exportTar(ws, src, ['nope']);
    expect(none.included).toEqual([]);
    expect(await text(none.stream)).toBe('');
    await expect(exec.importTar(ws, Readable.from([Buffer.from('not a tar archive at all')]), '~/bad')).rejects.toThrow(/tar exited/);
    await exec.cleanup(ws);
  });
});
