import crypto from 'node:crypto';
import { expect } from 'vitest';
import { encodePageToken } from '../../../src/domain/paging.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';
import { specV2 } from '../spec.ts';

const L = 'GET /api/v2/project/:provider/:organization/:project/checkout-key';
const C = 'POST /api/v2/project/:provider/:organization/:project/checkout-key';
const G = 'GET /api/v2/project/:provider/:organization/:project/checkout-key/:fingerprint';
const D = 'DELETE /api/v2/project/:provider/:organization/:project/checkout-key/:fingerprint';

const MD5 = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/;

/** A fresh project of org acme; returns its path. */
async function fresh({ server }: CaseContext): Promise<string> {
  const name = `keys-${crypto.randomBytes(4).toString('hex')}`;
  await server.project(`gh/acme/${name}`);
  return `/api/v2/project/gh/acme/${name}`;
}

async function addKey(ctx: CaseContext, p: string, type: 'deploy-key' | 'user-key'): Promise<any> {
  const res = await ctx.server.call('POST', `${p}/checkout-key`, ctx.token, { type });
  expect(res.status).toBe(201);
  return res.body;
}

/** A SHA-256 fingerprint may hold `/`, outside the spec's path template: validate against a plain one. */
function checkKey(body: unknown): void {
  expect(specV2().check('GET', '/api/v2/project/gh/acme/app/checkout-key/fp', 200, body)).toEqual([]);
}

function noPrivateKey(b: unknown): void {
  expect(JSON.stringify(b)).not.toMatch(/PRIVATE KEY/);
}

export const cases: ConformanceCase[] = [
  // listCheckoutKeys
  {
    route: L,
    name: 'lists keys newest first; a user key is preferred over newer deploy keys',
    status: 200,
    call: async (ctx) => {
      const p = await fresh(ctx);
      await addKey(ctx, p, 'deploy-key');
      await addKey(ctx, p, 'user-key');
      await addKey(ctx, p, 'deploy-key');
      return { method: 'GET', path: `${p}/checkout-key`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.items.map((k: any) => [k.type, k.preferred])).toEqual([
        ['deploy-key', false],
        ['github-user-key', true],
        ['deploy-key', false],
      ]);
      for (const k of b.items) {
        expect(k.fingerprint).toMatch(MD5);
        expect(k['public-key']).toMatch(/^ssh-ed25519 /);
      }
      expect(b.next_page_token).toBeNull();
      noPrivateKey(b);
    },
  },
  {
    route: L,
    name: 'digest=sha256 gives SHA256 fingerprints',
    status: 200,
    call: async (ctx) => {
      const p = await fresh(ctx);
      await addKey(ctx, p, 'deploy-key');
      return { method: 'GET', path: `${p}/checkout-key?digest=sha256`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.items).toHaveLength(1);
      expect(b.items[0].fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(b.items[0].preferred).toBe(true);
    },
  },
  {
    route: L,
    name: 'a page-token continues after the last key',
    status: 200,
    call: async (ctx) => {
      const p = await fresh(ctx);
      await addKey(ctx, p, 'deploy-key');
      return { method: 'GET', path: `${p}/checkout-key?page-token=${encodePageToken(['0000', 'zz'])}`, token: ctx.token };
    },
    expect: (b) => expect(b).toEqual({ items: [], next_page_token: null }),
  },
  {
    route: L,
    name: 'a bad page-token is 400',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key?page-token=%%%', token }),
  },
  {
    route: L,
    name: 'an unknown digest is 400 naming it',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key?digest=sha1', token }),
    expect: (b) => expect(b.message).toMatch(/digest/),
  },
  {
    route: L,
    name: "another organization's project is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key', token: otherToken }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: L,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key' }),
  },

  // createCheckoutKey
  {
    route: C,
    name: 'creates a deploy key',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: `${await fresh(ctx)}/checkout-key`, token: ctx.token, body: { type: 'deploy-key' } }),
    expect: (b) => {
      expect(b).toMatchObject({ type: 'deploy-key', preferred: true });
      expect(b.fingerprint).toMatch(MD5);
      noPrivateKey(b);
    },
  },
  {
    route: C,
    name: 'creates a user key (answered as github-user-key)',
    status: 201,
    call: async (ctx) => ({ method: 'POST', path: `${await fresh(ctx)}/checkout-key`, token: ctx.token, body: { type: 'user-key' } }),
    expect: (b) => {
      expect(b).toMatchObject({ type: 'github-user-key', preferred: true });
      noPrivateKey(b);
    },
  },
  {
    route: C,
    name: 'a deploy key made after a user key is not preferred',
    status: 201,
    call: async (ctx) => {
      const p = await fresh(ctx);
      await addKey(ctx, p, 'user-key');
      return { method: 'POST', path: `${p}/checkout-key`, token: ctx.token, body: { type: 'deploy-key' } };
    },
    expect: (b) => expect(b.preferred).toBe(false),
  },
  {
    route: C,
    name: 'an unknown type is 400 naming it',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/checkout-key', token, body: { type: 'github-user-key' } }),
    expect: (b) => expect(b.message).toMatch(/'type'.*user-key/),
  },
  {
    route: C,
    name: 'a missing type is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/checkout-key', token, body: {} }),
    expect: (b) => expect(b.message).toMatch(/'type'/),
  },
  {
    route: C,
    name: 'malformed JSON is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/checkout-key', token, body: '{type: deploy-key}' }),
  },
  {
    route: C,
    name: 'a body over the limit is 413',
    status: 413,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/checkout-key', token, body: { type: 'deploy-key', pad: 'x'.repeat(1_100_000) } }),
  },
  {
    route: C,
    name: "another organization's project is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/checkout-key', token: otherToken, body: { type: 'deploy-key' } }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: C,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/project/gh/acme/app/checkout-key', body: { type: 'deploy-key' } }),
  },

  // getCheckoutKey
  {
    route: G,
    name: 'a key by md5 fingerprint',
    status: 200,
    call: async (ctx) => {
      const p = await fresh(ctx);
      const key = await addKey(ctx, p, 'deploy-key');
      return { method: 'GET', path: `${p}/checkout-key/${key.fingerprint}`, token: ctx.token };
    },
    expect: (b) => {
      expect(b.fingerprint).toMatch(MD5);
      noPrivateKey(b);
    },
  },
  {
    route: G,
    name: 'a key by a SHA256 fingerprint holding a slash, raw or %2F-encoded',
    spec: 'none',
    status: 200,
    call: async (ctx) => {
      const p = await fresh(ctx);
      // Make keys until one's SHA-256 fingerprint holds a `/` (about half of them do).
      let fp = '';
      for (let i = 0; i < 30 && !fp.includes('/'); i++) {
        await addKey(ctx, p, 'deploy-key');
        const list = await ctx.server.call('GET', `${p}/checkout-key?digest=sha256`, ctx.token);
        fp = list.body.items[0].fingerprint;
      }
      expect(fp).toContain('/');
      const raw = await ctx.server.call('GET', `${p}/checkout-key/${fp}`, ctx.token);
      expect(raw.status).toBe(200);
      expect(raw.body.fingerprint).toBe(fp);
      return { method: 'GET', path: `${p}/checkout-key/${encodeURIComponent(fp)}`, token: ctx.token };
    },
    expect: (b) => {
      checkKey(b);
      expect(b.fingerprint).toMatch(/^SHA256:/);
    },
  },
  {
    route: G,
    name: 'an unknown fingerprint is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key/00:11:22', token }),
    expect: (b) => expect(b.message).toBe('Checkout key not found'),
  },
  {
    route: G,
    name: "another organization's project is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key/00:11:22', token: otherToken }),
    expect: (b) => expect(b).toEqual({ message: 'Project not found' }),
  },
  {
    route: G,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'GET', path: '/api/v2/project/gh/acme/app/checkout-key/00:11:22' }),
  },

  // deleteCheckoutKey
  {
    route: D,
    name: 'deletes a key',
    status: 200,
    call: async (ctx) => {
      const p = await fresh(ctx);
      const key = await addKey(ctx, p, 'deploy-key');
      pendingPath = `${p}/checkout-key/${key.fingerprint}`;
      return { method: 'DELETE', path: pendingPath, token: ctx.token };
    },
    expect: async (b, { server, token }) => {
      expect(typeof b.message).toBe('string');
      expect((await server.call('GET', pendingPath, token)).status).toBe(404);
    },
  },
  {
    route: D,
    name: "another organization's project is 404 and the key survives",
    status: 404,
    call: async (ctx) => {
      const p = await fresh(ctx);
      const key = await addKey(ctx, p, 'deploy-key');
      pendingPath = `${p}/checkout-key/${key.fingerprint}`;
      return { method: 'DELETE', path: pendingPath, token: ctx.otherToken };
    },
    expect: async (b, { server, token }) => {
      expect(b).toEqual({ message: 'Project not found' });
      expect((await server.call('GET', pendingPath, token)).status).toBe(200);
    },
  },
  {
    route: D,
    name: 'an unknown fingerprint is 404',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: '/api/v2/project/gh/acme/app/checkout-key/00:11:22', token }),
  },
  {
    route: D,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'DELETE', path: '/api/v2/project/gh/acme/app/checkout-key/00:11:22' }),
  },
];

/** The key a delete case made (cases run one after another). */
let pendingPath = '';
