// HTTPS with a certificate the test makes (openssl), HSTS and Secure session cookies over
// TLS, and forwarded headers believed only from the configured proxies; in process and as
// `circlet serve --tls-cert --tls-key`.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { HSTS } from '../../src/http/app.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { killAll, runCli, startServe } from '../cli/child.ts';

const dir = tempDir('circlet-tls-');
const CERT = path.join(dir, 'cert.pem');
const KEY = path.join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', KEY, '-out', CERT, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
const ca = fs.readFileSync(CERT);

/** An HTTPS request that trusts only the test's certificate. */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const signIn = (token: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });

describe('TLS and trusted proxies', () => {
  const kind = databaseKinds()[0]!;
  let db: Awaited<ReturnType<typeof kind.create>>;
  let tls: Instance;
  let proxied: Instance;
  let direct: Instance;
  let token: string;
  const dataDir = tempDir('circlet-tls-data-');
  beforeAll(async () => {
    db = await kind.create();
    const secrets = createSecretBox(crypto.randomBytes(32));
    const common = { database: db.database, secrets, dataDir, start: false };
    tls = await createInstance({ ...common, tls: { cert: ca, key: fs.readFileSync(KEY) } });
    proxied = await createInstance({ ...common, trustProxy: ['127.0.0.1'], rateLimit: { perToken: 0, perIp: 3, shared: false } });
    direct = await createInstance({ ...common, rateLimit: { perToken: 0, perIp: 3, shared: false } });
    token = await createApiToken(db.database.db, (await ensureUser(db.database.db, 'alice')).id, 't');
  });
  afterAll(async () => {
    for (const i of [tls, proxied, direct]) {
      i?.app.server.closeAllConnections();
      await i?.close();
    }
    await db?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves HTTPS with HSTS and a Secure session cookie', async () => {
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await request(`${tls.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe(HSTS);
    const me = await request(`${tls.url}/api/v2/me`, { headers: { 'Circle-Token': token } });
    expect(JSON.parse(me.body)).toMatchObject({ login: 'alice' });
    const signed = await request(`${tls.url}/auth/sign-in`, signIn(token));
    expect(signed.status).toBe(200);
    expect(String(signed.headers['set-cookie'])).toMatch(/circlet_session=[0-9a-f]+;.*; Secure$/);
    // A client that does not trust the certificate cannot talk to it.
    await expect(fetch(`${tls.url}/healthz`)).rejects.toThrow();
  });

  it('believes X-Forwarded-Proto and -For from a trusted proxy only', async () => {
    const viaProxy = await fetch(`${proxied.url}/auth/sign-in`, { ...signIn(token), headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' } });
    expect(viaProxy.headers.get('strict-transport-security')).toBe(HSTS);
    expect(viaProxy.headers.get('set-cookie')).toMatch(/; Secure$/);
    const spoofed = await fetch(`${direct.url}/auth/sign-in`, { ...signIn(token), headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' } });
    expect(spoofed.status).toBe(200);
    expect(spoofed.headers.get('strict-transport-security')).toBeNull();
    expect(spoofed.headers.get('set-cookie')).not.toMatch(/Secure/);

    // The client address: each forwarded client has its own per-address limit behind the
    // trusted proxy; anyone else's X-Forwarded-For changes nothing.
    const hit = (url: string, ip: string) => fetch(`${url}/api/v2/me`, { headers: { 'x-forwarded-for': ip } }).then((r) => r.status);
    // (The sign-ins above counted once for 127.0.0.1 on each server.)
    const four = async (url: string, ips: string[]) => {
      const out: number[] = [];
      for (const ip of ips) out.push(await hit(url, ip));
      return out;
    };
    expect(await four(proxied.url, ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.1'])).toEqual([401, 401, 401, 429]);
    expect(await hit(proxied.url, '10.0.0.2')).toBe(401);
    expect(await four(direct.url, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])).toEqual([401, 401, 429, 429]);
  });
});

describe('circlet serve --tls-cert --tls-key', () => {
  afterEach(killAll);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('listens on https and says so', async () => {
    const data = tempDir('circlet-tls-serve-');
    try {
      const server = await startServe(['--port', '0', '--agents', '0', '--data-dir', data, '--tls-cert', CERT, '--tls-key', KEY]);
      expect(server.url).toMatch(/^https:/);
      const r = await request(`${server.url}/healthz`);
      expect(r.status).toBe(200);
      expect(r.headers['strict-transport-security']).toBe(HSTS);
      expect((await server.stop('SIGTERM')).code).toBe(0);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('refuses a half or unreadable TLS setting with a message', async () => {
    const half = await runCli(['serve', '--port', '0', '--agents', '0', '--tls-cert', CERT]);
    expect(half.code).not.toBe(0);
    expect(half.stderr).toContain('--tls-cert and --tls-key go together: --tls-key is missing');
    const missing = await runCli(['serve', '--port', '0', '--agents', '0', '--tls-cert', CERT, '--tls-key', path.join(dir, 'nope.pem')]);
    expect(missing.stderr).toContain(`cannot read the TLS key ${path.join(dir, 'nope.pem')}: ENOENT`);
    const swapped = await runCli(['serve', '--port', '0', '--agents', '0', '--tls-cert', KEY, '--tls-key', CERT]);
    expect(swapped.stderr).toContain('is not a PEM certificate');
    const proxy = await runCli(['serve', '--port', '0', '--agents', '0', '--trust-proxy', '10.0.0.0/99']);
    expect(proxy.stderr).toContain("invalid --trust-proxy entry '10.0.0.0/99'");
  });
});
