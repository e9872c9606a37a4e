// Attacks on the HTTP listener (issue 18, item 3): slowloris headers, connection floods from
// one address, and large unauthenticated webhook bodies. Real server on loopback, SQLite.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { createEngine } from '../../src/server/instance.ts';
import { buildApp } from '../../src/http/app.ts';
import { guardConnections, LISTENER_LIMITS } from '../../src/http/listener.ts';
import { createProject } from '../../src/storage/projects.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const kind = databaseKinds()[0]!;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with what the server sent when the socket closes (or after `ms`, with null). */
function closed(s: net.Socket, ms: number): Promise<{ data: string; afterMs: number } | null> {
  const t0 = performance.now();
  let data = '';
  s.on('data', (d) => (data += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve({ data, afterMs: performance.now() - t0 });
    });
  });
}

describe(`listener limits (${kind.name})`, () => {
  let app: FastifyInstance;
  let port: number;
  let dispose: () => Promise<void>;
  let engine: Engine;
  beforeAll(async () => {
    const created = await kind.create();
    dispose = created.dispose;
    const secrets = createSecretBox(crypto.randomBytes(32));
    // The app is built here (not by createInstance) to give it its own listener limits.
    engine = createEngine({ database: created.database, secrets, dataDir: tempDir('circlet-data-'), baseUrl: 'http://127.0.0.1' });
    app = await buildApp(
      { database: created.database, secrets, engine },
      { listener: { headersTimeoutMs: 800, checkIntervalMs: 200, connectionsPerAddress: 5, keepAliveTimeoutMs: 1000 } },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
    const org = await ensureOrganization(created.database.db, 'github', 'acme');
    await createProject(created.database.db, org, { name: 'demo', vcsUrl: '/nonexistent', defaultBranch: 'main' });
  });
  afterAll(async () => {
    app.server.closeAllConnections();
    await app.close();
    await dispose();
  });

  it('a slowloris connection (a header line every 300 ms) is closed after the header timeout', async () => {
    const s = await connect(port);
    const done = closed(s, 10_000);
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => {
      if (!s.destroyed) s.write(`X-Slow-${Date.now()}: 1\r\n`);
    }, 300);
    const r = await done;
    clearInterval(trickle);
    expect(r).not.toBeNull();
    expect(r!.afterMs).toBeLessThan(5000);
    expect(r!.data).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('connections over the per-address cap are refused; the ones within it still answer', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => connect(port)));
    const extra = await connect(port);
    const refused = await closed(extra, 3000);
    expect(refused).not.toBeNull();
    expect(refused!.data).toBe('');
    const answer = new Promise<string>((resolve) => {
      let data = '';
      held[0]!.on('data', (d) => {
        data += d.toString();
        if (data.includes('"status":"ok"')) resolve(data);
      });
    });
    held[0]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200/);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
  });

  it('a 5 MB unauthenticated hook body is refused before it is read', async () => {
    const s = await connect(port);
    const done = closed(s, 5000);
    let first = '';
    const got = new Promise<string>((resolve) => s.once('data', (d) => resolve((first = d.toString()))));
    // Headers announce 5 MB; not one byte of the body is sent, and the answer comes anyway.
    s.write(`POST /hooks/github?project=gh/acme/demo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n`);
    await Promise.race([got, done]);
    expect(first).toMatch(/^HTTP\/1\.1 401/);
    expect(first).toContain('Missing webhook signature');
    s.destroy();
  });

  it('a signed-looking delivery is verified on the raw bytes before any JSON parse', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/hooks/github?project=gh/acme/demo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00', connection: 'close' },
      body: '{not json',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/^Invalid webhook signature/);
  });

  it('without ?project= a delivery over 1 MB is not parsed', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/hooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00', connection: 'close' },
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/needs \?project=<slug>/);
  });

  it('hook bodies over 5 MB are refused from Content-Length', async () => {
    const s = await connect(port);
    const got = new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString())));
    s.write(`POST /hooks/github?project=gh/acme/demo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
    expect(await got).toMatch(/^HTTP\/1\.1 413/);
    s.destroy();
  });
});

describe('idle timeout (guardConnections sweep)', () => {
  let server: http.Server;
  let port: number;
  const limits = { ...LISTENER_LIMITS, headersTimeoutMs: 60_000, idleTimeoutMs: 500, checkIntervalMs: 100 };
  beforeAll(async () => {
    // A plain node:http server with the listener's guard: only the sweep can close these.
    server = http.createServer({ headersTimeout: 60_000, requestTimeout: 0 }, (_req, res) => res.end(Buffer.alloc(16 * 1024 * 1024)));
    guardConnections(server, limits);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('closes a connection left silent, after the idle timeout', async () => {
    const r = await closed(await connect(port), 5000);
    expect(r).not.toBeNull();
    expect(r!.afterMs).toBeGreaterThanOrEqual(400);
    expect(r!.afterMs).toBeLessThan(3000);
  });

  it('closes a connection whose client stops reading the response', async () => {
    // The server's side of the connection is watched: the paused client sees nothing until it reads.
    const serverSide = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const s = await connect(port);
    // Never read: the 16 MB answer fills the socket buffers and stops moving.
    s.pause();
    const t0 = performance.now();
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const side = await serverSide;
    const afterMs = await Promise.race([
      new Promise<number>((resolve) => side.once('close', () => resolve(performance.now() - t0))),
      new Promise<number>((resolve) => setTimeout(() => resolve(-1), 8000)),
    ]);
    s.destroy();
    expect(afterMs).toBeGreaterThanOrEqual(400);
  });

  it('keeps a connection whose traffic keeps moving, however long', async () => {
    const s = await connect(port);
    const r = closed(s, 1600);
    s.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => s.write(`X-Slow-${Date.now()}: 1\r\n`), 150);
    const result = await r;
    clearInterval(trickle);
    s.destroy();
    expect(result).toBeNull();
  });
});
