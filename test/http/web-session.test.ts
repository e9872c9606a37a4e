// The dashboard's sign-in, session cookie and CSRF rule over real HTTP, on SQLite and
// PostgreSQL; and the static files and page paths the server answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { PAGE_ROOTS } from '../../src/http/web/plugin.ts';
import { cookieValue, csrfOk, csrfTokenOf, sameOrigin, sessionCookie } from '../../src/http/web/services/session.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('session rules', () => {
  it('reads one cookie among many', () => {
    expect(cookieValue('a=1; circlet_session=abc; b=2', 'circlet_session')).toBe('abc');
    expect(cookieValue('circlet_session=', 'circlet_session')).toBeUndefined();
    expect(cookieValue(undefined, 'circlet_session')).toBeUndefined();
  });

  it('writes HttpOnly, SameSite=Strict cookies, Secure only over TLS', () => {
    expect(sessionCookie('s', { secure: false })).toBe('circlet_session=s; Path=/; HttpOnly; SameSite=Strict; Max-Age=1209600');
    expect(sessionCookie('s', { secure: true })).toMatch(/; Secure$/);
    expect(sessionCookie(null, { secure: false })).toContain('Max-Age=0');
  });

  it('asks a CSRF token of every state-changing method only', () => {
    const t = csrfTokenOf('secret');
    expect(csrfOk('GET', 'secret', undefined)).toBe(true);
    expect(csrfOk('POST', 'secret', undefined)).toBe(false);
    expect(csrfOk('DELETE', 'secret', 'nope')).toBe(false);
    expect(csrfOk('PUT', 'secret', csrfTokenOf('other'))).toBe(false);
    expect(csrfOk('POST', 'secret', t)).toBe(true);
  });

  it('refuses sign-in posted from another site', () => {
    expect(sameOrigin({ host: 'ci:8080', origin: 'http://ci:8080' })).toBe(true);
    expect(sameOrigin({ host: 'ci:8080' })).toBe(true);
    expect(sameOrigin({ host: 'ci:8080', origin: 'https://evil.example' })).toBe(false);
    expect(sameOrigin({ host: 'ci:8080', 'sec-fetch-site': 'cross-site' })).toBe(false);
  });
});

for (const kind of databaseKinds()) {
  describe(`dashboard session over HTTP (${kind.name})`, () => {
    let s: TestServer;
    let token: string;
    beforeAll(async () => {
      s = await startTestServer(kind);
      token = (await s.user('alice', 'acme')).token;
      await s.project('gh/acme/app');
    });
    afterAll(async () => {
      s.app.server.closeAllConnections();
      await s.close();
    });

    const signIn = async () => {
      const r = await s.call('POST', '/auth/sign-in', undefined, { token });
      expect(r.status).toBe(200);
      const setCookie = r.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/^circlet_session=[0-9a-f]{80}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      expect(r.text).not.toContain(token);
      return { cookie: setCookie.split(';')[0]!, csrf: r.body.csrf_token as string };
    };

    it('exchanges a token for a session that the API accepts, with CSRF on writes', async () => {
      const { cookie, csrf } = await signIn();
      expect((await s.call('GET', '/api/v2/me', undefined, undefined, { cookie })).body.login).toBe('alice');
      const session = await s.call('GET', '/auth/session', undefined, undefined, { cookie });
      expect(session.body).toMatchObject({ user: { login: 'alice' }, csrf_token: csrf });

      const body = { name: 'FOO', value: 'bar' };
      const noCsrf = await s.call('POST', '/api/v2/project/gh/acme/app/envvar', undefined, body, { cookie });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body.message).toMatch(/x-csrf-token/);
      const wrong = await s.call('POST', '/api/v2/project/gh/acme/app/envvar', undefined, body, { cookie, 'x-csrf-token': csrfTokenOf('guess') });
      expect(wrong.status).toBe(403);
      const ok = await s.call('POST', '/api/v2/project/gh/acme/app/envvar', undefined, body, { cookie, 'x-csrf-token': csrf });
      expect(ok.status).toBe(201);
      expect((await s.call('DELETE', '/api/v2/project/gh/acme/app/envvar/FOO', undefined, undefined, { cookie, 'x-csrf-token': csrf })).status).toBe(200);
    });

    it('marks the cookie Secure when the server is reached over https (TLS ended by a proxy)', async () => {
      const app = await buildApp({ database: s.database, secrets: s.secrets, engine: s.engine, baseUrl: 'https://ci.example' });
      try {
        const r = await app.inject({ method: 'POST', url: '/auth/sign-in', payload: { token } });
        expect(r.headers['set-cookie']).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
      } finally {
        await app.close();
      }
    });

    it('rejects bad tokens and cross-site sign-in with a message', async () => {
      const bad = await s.call('POST', '/auth/sign-in', undefined, { token: 'nope' });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('set-cookie')).toBeNull();
      expect((await s.call('POST', '/auth/sign-in', undefined, {})).body.message).toBe("Missing body field 'token'");
      const cross = await s.call('POST', '/auth/sign-in', undefined, { token }, { origin: 'https://evil.example' });
      expect(cross.status).toBe(403);
    });

    it('ends the session at sign-out', async () => {
      const { cookie, csrf } = await signIn();
      expect((await s.call('POST', '/auth/sign-out', undefined, undefined, { cookie })).status).toBe(403);
      const out = await s.call('POST', '/auth/sign-out', undefined, undefined, { cookie, 'x-csrf-token': csrf });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
      const after = await s.call('GET', '/api/v2/me', undefined, undefined, { cookie });
      expect(after.status).toBe(401);
      expect((await s.call('GET', '/auth/session', undefined, undefined, { cookie })).status).toBe(401);
    });

    it('serves the app at / and at every page path, assets cached and gzipped', async () => {
      const index = await fetch(`${s.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const html = await index.text();
      expect(html).toContain('<div id="app">');
      for (const p of ['/pipelines/gh/acme/app', '/pipelines/gh/acme/app/1/workflows/0b4f/jobs/2', ...PAGE_ROOTS.map((r) => `/${r}`)]) {
        expect((await fetch(s.url + p)).status, p).toBe(200);
      }
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      const js = await fetch(s.url + script, { headers: { 'accept-encoding': 'gzip' } });
      expect(js.status).toBe(200);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(js.headers.get('content-encoding')).toBe('gzip');
      expect((await fetch(`${s.url}/assets/missing.js`)).status).toBe(404);
      expect((await s.call('GET', '/api/v2/nothing')).body.message).toBe('Route not found: GET /api/v2/nothing');
    });

    it('says how to build the dashboard when its files are missing', async () => {
      const app = await buildApp({ database: s.database, secrets: s.secrets, engine: s.engine }, { web: { dir: tempDir('circlet-no-web-') } });
      const r = await app.inject({ method: 'GET', url: '/pipelines/gh/acme/app' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ message: 'The dashboard is not built: run `npm run build`' });
      await app.close();
    });
  });
}
