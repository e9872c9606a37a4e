import crypto from 'node:crypto';
import fs from 'node:fs';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { createContext } from '../../../src/storage/contexts.ts';
import { addMember, ensureOrganization } from '../../../src/storage/organizations.ts';
import { createApiToken, ensureUser } from '../../../src/storage/users.ts';
import { API_V2_SPEC } from '../../fixtures/index.ts';
import type { CaseContext, ConformanceCase } from '../harness.ts';

const CREATE = 'POST /api/v2/context';
const LIST = 'GET /api/v2/context';
const GET = 'GET /api/v2/context/:context_id';
const DEL = 'DELETE /api/v2/context/:context_id';
const VARS = 'GET /api/v2/context/:context_id/environment-variable';
const PUT = 'PUT /api/v2/context/:context_id/environment-variable/:env_var_name';
const DELVAR = 'DELETE /api/v2/context/:context_id/environment-variable/:env_var_name';
const RLIST = 'GET /api/v2/context/:context_id/restrictions';
const RADD = 'POST /api/v2/context/:context_id/restrictions';
const RDEL = 'DELETE /api/v2/context/:context_id/restrictions/:restriction_id';

const MISSING = '00000000-0000-4000-8000-000000000000';
const suffix = () => crypto.randomBytes(4).toString('hex');

/** A new context of org acme, made through the API; returns its id. */
async function fresh({ server, token }: CaseContext, name = `ctx-${suffix()}`): Promise<string> {
  const res = await server.call('POST', '/api/v2/context', token, { name, owner: { slug: 'gh/acme', type: 'organization' } });
  expect(res.status, res.text).toBe(200);
  return res.body.id as string;
}

async function acmeId({ server, token }: CaseContext): Promise<string> {
  const res = await server.call('GET', '/api/v2/me/collaborations', token);
  return (res.body as { id: string; slug: string }[]).find((o) => o.slug === 'gh/acme')!.id;
}

/** A plain (non-admin) member of acme, with a token. */
async function memberToken({ server }: CaseContext): Promise<string> {
  const user = await ensureUser(server.database.db, `member-${suffix()}`);
  await addMember(server.database.db, (await ensureOrganization(server.database.db, 'github', 'acme')).id, user.id, 'contributor');
  return createApiToken(server.database.db, user.id, 'test');
}

async function addRestriction(ctx: CaseContext, id: string, type: string, value: string): Promise<string> {
  const res = await ctx.server.call('POST', `/api/v2/context/${id}/restrictions`, ctx.token, { restriction_type: type, restriction_value: value });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

// The spec's `update_env_var` (PUT answer) puts `additionalProperties: false` beside its
// `anyOf`, with no `properties` of its own, so no non-empty body can satisfy it as written.
// PUT successes are checked here against that schema minus the top-level
// `additionalProperties` (each `anyOf` branch still forbids extra properties).
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
let putValidator: ValidateFunction | undefined;
function checkPutAgainstSpec(body: unknown): void {
  if (!putValidator) {
    const spec = JSON.parse(fs.readFileSync(API_V2_SPEC, 'utf8'));
    const op = spec.paths['/context/{context_id}/environment-variable/{env_var_name}'].put.responses['200'].content['application/json'].schema;
    const schema = op.$ref ? spec.components.schemas[op.$ref.split('/').pop()] : op;
    const { additionalProperties: _ignored, ...rest } = schema;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    putValidator = ajv.compile(rest) as ValidateFunction;
  }
  expect(putValidator(body), JSON.stringify(putValidator.errors)).toBe(true);
}

let createdName = '';
let pagedOwner = '';
let pagedToken = '';
let pagedNames: string[] = [];
let varsContext = '';
/** Values one case hands to its own `expect`. */
const state: Record<string, any> = {};

export const cases: ConformanceCase[] = [
  // createContext
  {
    route: CREATE,
    name: 'creates a context owned by an organization slug',
    status: 200,
    call: ({ token }) => {
      createdName = `deploy-${suffix()}`;
      return { method: 'POST', path: '/api/v2/context', token, body: { name: createdName, owner: { slug: 'gh/acme', type: 'organization' } } };
    },
    expect: (b) => {
      expect(b.name).toBe(createdName);
      expect(Object.keys(b).sort()).toEqual(['created_at', 'id', 'name']);
    },
  },
  {
    route: CREATE,
    name: 'creates a context owned by an organization id (type defaults to organization)',
    status: 200,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/context', token: ctx.token, body: { name: `by-id-${suffix()}`, owner: { id: await acmeId(ctx) } } }),
  },
  {
    route: CREATE,
    name: 'a name already used in the organization is 409',
    spec: 'none',
    status: 409,
    call: async (ctx) => {
      const name = `dup-${suffix()}`;
      await fresh(ctx, name);
      return { method: 'POST', path: '/api/v2/context', token: ctx.token, body: { name, owner: { slug: 'gh/acme' } } };
    },
    expect: (b) => expect(b.message).toMatch(/already exists/),
  },
  {
    route: CREATE,
    name: 'a missing name is 400 naming the field',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { owner: { slug: 'gh/acme' } } }),
    expect: (b) => expect(b.message).toMatch(/'name'/),
  },
  {
    route: CREATE,
    name: 'a name with leading whitespace is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { name: ' padded', owner: { slug: 'gh/acme' } } }),
    expect: (b) => expect(b.message).toMatch(/'name'.*whitespace/),
  },
  {
    route: CREATE,
    name: 'a name longer than 200 characters is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { name: 'x'.repeat(201), owner: { slug: 'gh/acme' } } }),
    expect: (b) => expect(b.message).toMatch(/200/),
  },
  {
    route: CREATE,
    name: 'a non-string name is 400 (no coercion)',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { name: 42, owner: { slug: 'gh/acme' } } }),
    expect: (b) => expect(b.message).toMatch(/'name'/),
  },
  {
    route: CREATE,
    name: 'an owner with both id and slug is 400',
    spec: 'none',
    status: 400,
    call: async (ctx) => ({ method: 'POST', path: '/api/v2/context', token: ctx.token, body: { name: 'x', owner: { id: await acmeId(ctx), slug: 'gh/acme' } } }),
    expect: (b) => expect(b.message).toMatch(/owner\.id.*owner\.slug/),
  },
  {
    route: CREATE,
    name: 'an owner id that is not a UUID is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { name: 'x', owner: { id: 'acme' } } }),
    expect: (b) => expect(b.message).toMatch(/owner\.id/),
  },
  {
    route: CREATE,
    name: 'an organization the caller does not belong to is 404, like a missing one',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { name: 'sneaky', owner: { slug: 'gh/other' } } }),
    expect: (b) => expect(b.message).toBe('Organization does not exist.'),
  },
  {
    route: CREATE,
    name: 'an unknown organization id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context', token, body: { name: 'x', owner: { id: MISSING, type: 'organization' } } }),
    expect: (b) => expect(b.message).toBe('Organization does not exist.'),
  },
  {
    route: CREATE,
    name: 'no token is 401',
    status: 401,
    call: () => ({ method: 'POST', path: '/api/v2/context', body: { name: 'x', owner: { slug: 'gh/acme' } } }),
  },

  // listContexts
  {
    route: LIST,
    name: 'lists the contexts of an organization by owner-slug',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context?owner-slug=gh/acme', token }),
    expect: (b) => {
      expect(b.items.map((c: any) => c.name)).toContain(createdName);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: LIST,
    name: 'owner-slug may be percent-encoded, owner-type organization',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context?owner-slug=gh%2Facme&owner-type=organization', token }),
    expect: (b) => expect(b.items.map((c: any) => c.name)).toContain(createdName),
  },
  {
    route: LIST,
    name: 'lists by owner-id',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/context?owner-id=${await acmeId(ctx)}`, token: ctx.token }),
    expect: (b) => expect(b.items.map((c: any) => c.name)).toContain(createdName),
  },
  {
    route: LIST,
    name: 'pages through 25 contexts in name order (first page)',
    status: 200,
    call: async ({ server }) => {
      const org = `pager-${suffix()}`;
      const { token } = await server.user(`pager-${suffix()}`, org);
      const o = await ensureOrganization(server.database.db, 'github', org);
      pagedNames = Array.from({ length: 25 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
      for (const n of [...pagedNames].reverse()) await createContext(server.database.db, o.id, n);
      pagedOwner = `gh/${org}`;
      pagedToken = token;
      return { method: 'GET', path: `/api/v2/context?owner-slug=${pagedOwner}`, token };
    },
    expect: async (b, { server }) => {
      expect(b.items.map((c: any) => c.name)).toEqual(pagedNames.slice(0, 20));
      expect(typeof b.next_page_token).toBe('string');
      const next = await server.call('GET', `/api/v2/context?owner-slug=${pagedOwner}&page-token=${b.next_page_token}`, pagedToken);
      expect(next.status).toBe(200);
      expect(next.body.items.map((c: any) => c.name)).toEqual(pagedNames.slice(20));
      expect(next.body.next_page_token).toBeNull();
    },
  },
  {
    route: LIST,
    name: 'no owner is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context', token }),
    expect: (b) => expect(b.message).toMatch(/owner-id or owner-slug/),
  },
  {
    route: LIST,
    name: 'owner-slug with owner-type account is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context?owner-slug=gh/acme&owner-type=account', token }),
    expect: (b) => expect(b.message).toMatch(/owner-slug/),
  },
  {
    route: LIST,
    name: 'a malformed page-token is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context?owner-slug=gh/acme&page-token=nope', token }),
  },
  {
    route: LIST,
    name: "another organization's contexts are 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'GET', path: '/api/v2/context?owner-slug=gh/acme', token: otherToken }),
    expect: (b) => expect(b.message).toBe('Organization does not exist.'),
  },

  // getContext
  {
    route: GET,
    name: 'a context by id',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/context/${await fresh(ctx, `get-${suffix()}`)}`, token: ctx.token }),
    expect: (b) => expect(b.name).toMatch(/^get-/),
  },
  {
    route: GET,
    name: 'an unknown id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/context/${MISSING}`, token }),
    expect: (b) => expect(b.message).toBe('Context not found.'),
  },
  {
    route: GET,
    name: 'a malformed id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context/not-a-uuid', token }),
  },
  {
    route: GET,
    name: "another organization's context is 404",
    status: 404,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/context/${await fresh(ctx)}`, token: ctx.otherToken }),
    expect: (b) => expect(b.message).toBe('Context not found.'),
  },

  // deleteContext
  {
    route: DEL,
    name: 'deletes a context and its variables',
    status: 200,
    call: async (ctx) => {
      const id = await fresh(ctx);
      await ctx.server.call('PUT', `/api/v2/context/${id}/environment-variable/GONE`, ctx.token, { value: 'x' });
      return { method: 'DELETE', path: `/api/v2/context/${id}`, token: ctx.token };
    },
    expect: async (b, { server }) => {
      expect(b.message).toBe('Context deleted.');
      const count = await server.database.db.selectFrom('context_env_vars').select('name').where('name', '=', 'GONE').execute();
      expect(count).toEqual([]);
    },
  },
  {
    route: DEL,
    name: "another organization's context is 404 and stays",
    status: 404,
    call: async (ctx) => {
      varsContext = await fresh(ctx);
      return { method: 'DELETE', path: `/api/v2/context/${varsContext}`, token: ctx.otherToken };
    },
    expect: async (_b, { server, token }) => expect((await server.call('GET', `/api/v2/context/${varsContext}`, token)).status).toBe(200),
  },
  {
    route: DEL,
    name: 'an unknown id is 404',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: `/api/v2/context/${MISSING}`, token }),
  },

  // addEnvironmentVariableToContext
  {
    route: PUT,
    name: 'adds a variable; the value is not returned',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/API_KEY`, token, body: { value: 's3cr3t-value' } }),
    expect: (b) => {
      checkPutAgainstSpec(b);
      expect(b.variable).toBe('API_KEY');
      expect(b.context_id).toBe(varsContext);
      expect(JSON.stringify(b)).not.toContain('s3cr3t');
    },
  },
  {
    route: PUT,
    name: 'updates a variable, keeping created_at',
    spec: 'none',
    status: 200,
    call: async ({ server, token }) => {
      const first = await server.call('PUT', `/api/v2/context/${varsContext}/environment-variable/ROTATED`, token, { value: 'one' });
      state.first = first.body;
      await new Promise((r) => setTimeout(r, 5));
      return { method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/ROTATED`, token, body: { value: 'two' } };
    },
    expect: (b) => {
      const first = state.first;
      checkPutAgainstSpec(b);
      expect(b.created_at).toBe(first.created_at);
      expect(b.updated_at > first.updated_at).toBe(true);
    },
  },
  {
    route: PUT,
    name: 'an empty value is valid',
    spec: 'none',
    status: 200,
    call: ({ token }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/EMPTY`, token, body: { value: '' } }),
    expect: (b) => checkPutAgainstSpec(b),
  },
  {
    route: PUT,
    name: 'an invalid variable name is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/1BAD-NAME`, token, body: { value: 'x' } }),
    expect: (b) => expect(b.message).toMatch(/environment variable name '1BAD-NAME'/),
  },
  {
    route: PUT,
    name: 'a missing value is 400 naming the field',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/X`, token, body: {} }),
    expect: (b) => expect(b.message).toMatch(/'value'/),
  },
  {
    route: PUT,
    name: 'a non-string value is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/X`, token, body: { value: 1 } }),
    expect: (b) => expect(b.message).toMatch(/'value'/),
  },
  {
    route: PUT,
    name: 'a value over 32k characters is 400',
    spec: 'none',
    status: 400,
    call: ({ token }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/BIG`, token, body: { value: 'x'.repeat(32 * 1024 + 1) } }),
  },
  {
    route: PUT,
    name: "another organization's context is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'PUT', path: `/api/v2/context/${varsContext}/environment-variable/EVIL`, token: otherToken, body: { value: 'x' } }),
  },

  // listEnvironmentVariablesFromContext
  {
    route: VARS,
    name: 'lists variables by name without values',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/context/${varsContext}/environment-variable`, token }),
    expect: (b) => {
      expect(b.items.map((v: any) => v.variable)).toEqual(['API_KEY', 'EMPTY', 'ROTATED']);
      expect(Object.keys(b.items[0]).sort()).toEqual(['context_id', 'created_at', 'updated_at', 'variable']);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: VARS,
    name: 'pages through 23 variables',
    status: 200,
    call: async (ctx) => {
      const id = await fresh(ctx);
      for (let i = 0; i < 23; i++) await ctx.server.call('PUT', `/api/v2/context/${id}/environment-variable/V_${String(i).padStart(2, '0')}`, ctx.token, { value: 'x' });
      state.paged = id;
      return { method: 'GET', path: `/api/v2/context/${id}/environment-variable`, token: ctx.token };
    },
    expect: async (b, { server, token }) => {
      expect(b.items).toHaveLength(20);
      const id = state.paged;
      const next = await server.call('GET', `/api/v2/context/${id}/environment-variable?page-token=${b.next_page_token}`, token);
      expect(next.body.items.map((v: any) => v.variable)).toEqual(['V_20', 'V_21', 'V_22']);
      expect(next.body.next_page_token).toBeNull();
    },
  },
  {
    route: VARS,
    name: "another organization's context is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'GET', path: `/api/v2/context/${varsContext}/environment-variable`, token: otherToken }),
  },

  // deleteEnvironmentVariableFromContext
  {
    route: DELVAR,
    name: 'removes a variable',
    status: 200,
    call: ({ token }) => ({ method: 'DELETE', path: `/api/v2/context/${varsContext}/environment-variable/EMPTY`, token }),
    expect: async (b, { server, token }) => {
      expect(b.message).toBe('Environment variable deleted.');
      const list = await server.call('GET', `/api/v2/context/${varsContext}/environment-variable`, token);
      expect(list.body.items.map((v: any) => v.variable)).toEqual(['API_KEY', 'ROTATED']);
    },
  },
  {
    route: DELVAR,
    name: 'removing a variable that does not exist is not an error (the CLI relies on it)',
    status: 200,
    call: ({ token }) => ({ method: 'DELETE', path: `/api/v2/context/${varsContext}/environment-variable/NOPE`, token, headers: { 'content-type': 'application/json' } }),
    expect: (b) => expect(b.message).toBe('Environment variable deleted.'),
  },
  {
    route: DELVAR,
    name: 'an unknown context is 404',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: `/api/v2/context/${MISSING}/environment-variable/NOPE`, token }),
    expect: (b) => expect(b.message).toBe('Context not found.'),
  },
  {
    route: DELVAR,
    name: "another organization's context is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'DELETE', path: `/api/v2/context/${varsContext}/environment-variable/API_KEY`, token: otherToken }),
  },

  // createContextRestriction
  {
    route: RADD,
    name: 'restricts a context to a project',
    status: 201,
    call: async (ctx) => {
      const project = await ctx.server.project(`gh/acme/restricted-${suffix()}`);
      state.project = project;
      return {
        method: 'POST',
        path: `/api/v2/context/${varsContext}/restrictions`,
        token: ctx.token,
        body: { restriction_type: 'project', restriction_value: project.id },
      };
    },
    expect: (b) => {
      const project = state.project;
      expect(b).toMatchObject({ project_id: project.id, name: project.name, restriction_type: 'project', restriction_value: project.id });
    },
  },
  {
    route: RADD,
    name: 'restricts a context with an expression',
    status: 201,
    call: ({ token }) => ({
      method: 'POST',
      path: `/api/v2/context/${varsContext}/restrictions`,
      token,
      body: { restriction_type: 'expression', restriction_value: 'pipeline.git.branch == "main" and not job.ssh.enabled' },
    }),
    expect: (b) => {
      expect(b).toMatchObject({ name: '', restriction_type: 'expression', restriction_value: 'pipeline.git.branch == "main" and not job.ssh.enabled' });
      expect(b.project_id).toBeUndefined();
    },
  },
  {
    route: RADD,
    name: 'the same restriction twice is 409',
    status: 409,
    call: ({ token }) => ({
      method: 'POST',
      path: `/api/v2/context/${varsContext}/restrictions`,
      token,
      body: { restriction_type: 'expression', restriction_value: 'pipeline.git.branch == "main" and not job.ssh.enabled' },
    }),
    expect: (b) => expect(b.message).toMatch(/already exists/),
  },
  {
    route: RADD,
    name: 'an expression with a syntax error is 400 naming the problem',
    status: 400,
    call: ({ token }) => ({
      method: 'POST',
      path: `/api/v2/context/${varsContext}/restrictions`,
      token,
      body: { restriction_type: 'expression', restriction_value: '(pipeline.git.branch == "main"' },
    }),
    expect: (b) => expect(b.message).toMatch(/restriction_value.*expected '\)'/),
  },
  {
    route: RADD,
    name: 'an expression using pipeline parameters is 400',
    status: 400,
    call: ({ token }) => ({
      method: 'POST',
      path: `/api/v2/context/${varsContext}/restrictions`,
      token,
      body: { restriction_type: 'expression', restriction_value: 'pipeline.parameters.deploy == true' },
    }),
    expect: (b) => expect(b.message).toMatch(/pipeline parameters cannot be used/),
  },
  {
    route: RADD,
    name: 'a project of another organization is 400',
    status: 400,
    call: async (ctx) => {
      const project = await ctx.server.project(`gh/other/foreign-${suffix()}`);
      return { method: 'POST', path: `/api/v2/context/${varsContext}/restrictions`, token: ctx.token, body: { restriction_type: 'project', restriction_value: project.id } };
    },
    expect: (b) => expect(b.message).toBe('Project does not exist, or user does not have access to this project.'),
  },
  {
    route: RADD,
    name: 'a group restriction naming no group of the organization is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/context/${varsContext}/restrictions`, token, body: { restriction_type: 'group', restriction_value: MISSING } }),
    expect: (b) => expect(b.message).toMatch(/restriction_value/),
  },
  {
    route: RADD,
    name: 'restricts a context to a group of the organization',
    status: 201,
    call: async (ctx) => {
      const org = (await ctx.server.call('GET', `/api/v2/project/${ctx.projectSlug}`, ctx.token)).body.organization_id;
      const group = await ctx.server.call('POST', `/api/v2/organizations/${org}/groups`, ctx.token, { name: `ctx-group-${suffix()}` });
      return { method: 'POST', path: `/api/v2/context/${await fresh(ctx)}/restrictions`, token: ctx.token, body: { restriction_type: 'group', restriction_value: group.body.id } };
    },
    expect: (b) => expect(b.restriction_type).toBe('group'),
  },
  {
    route: RADD,
    name: 'an unknown restriction type is 400 naming the field',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/context/${varsContext}/restrictions`, token, body: { restriction_type: 'branch', restriction_value: 'main' } }),
    expect: (b) => expect(b.message).toMatch(/restriction_type/),
  },
  {
    route: RADD,
    name: 'a missing restriction_value is 400 naming the field',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: `/api/v2/context/${varsContext}/restrictions`, token, body: { restriction_type: 'expression' } }),
    expect: (b) => expect(b.message).toMatch(/restriction_value/),
  },
  {
    route: RADD,
    name: 'a malformed context id is 400',
    status: 400,
    call: ({ token }) => ({ method: 'POST', path: '/api/v2/context/nope/restrictions', token, body: { restriction_type: 'expression', restriction_value: 'true' } }),
    expect: (b) => expect(b.message).toBe('context_id is invalid.'),
  },
  {
    route: RADD,
    name: 'a member who is not an admin is 403',
    spec: 'none',
    status: 403,
    call: async (ctx) => ({
      method: 'POST',
      path: `/api/v2/context/${varsContext}/restrictions`,
      token: await memberToken(ctx),
      body: { restriction_type: 'expression', restriction_value: 'true' },
    }),
    expect: (b) => expect(b.message).toMatch(/admins/),
  },
  {
    route: RADD,
    name: "another organization's context is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'POST', path: `/api/v2/context/${varsContext}/restrictions`, token: otherToken, body: { restriction_type: 'expression', restriction_value: 'true' } }),
  },

  // getContextRestrictions
  {
    route: RLIST,
    name: 'lists project and expression restrictions',
    status: 200,
    call: ({ token }) => ({ method: 'GET', path: `/api/v2/context/${varsContext}/restrictions`, token }),
    expect: (b) => {
      expect(b.items.map((r: any) => r.restriction_type)).toEqual(['project', 'expression']);
      expect(b.items.every((r: any) => r.context_id === varsContext)).toBe(true);
      expect(b.next_page_token).toBeNull();
    },
  },
  {
    route: RLIST,
    name: 'an unrestricted context lists none',
    status: 200,
    call: async (ctx) => ({ method: 'GET', path: `/api/v2/context/${await fresh(ctx)}/restrictions`, token: ctx.token }),
    expect: (b) => expect(b.items).toEqual([]),
  },
  {
    route: RLIST,
    name: 'a malformed context id is 400',
    status: 400,
    call: ({ token }) => ({ method: 'GET', path: '/api/v2/context/123/restrictions', token }),
    expect: (b) => expect(b.message).toBe('context_id is invalid.'),
  },
  {
    route: RLIST,
    name: "another organization's context is 404",
    status: 404,
    call: ({ otherToken }) => ({ method: 'GET', path: `/api/v2/context/${varsContext}/restrictions`, token: otherToken }),
  },

  // deleteContextRestriction
  {
    route: RDEL,
    name: 'deletes a restriction',
    status: 200,
    call: async (ctx) => {
      const id = await fresh(ctx);
      const rid = await addRestriction(ctx, id, 'expression', 'pipeline.number > 1');
      state.rdel = id;
      return { method: 'DELETE', path: `/api/v2/context/${id}/restrictions/${rid}`, token: ctx.token };
    },
    expect: async (b, { server, token }) => {
      expect(b.message).toBe('Context restriction deleted.');
      const list = await server.call('GET', `/api/v2/context/${state.rdel}/restrictions`, token);
      expect(list.body.items).toEqual([]);
    },
  },
  {
    route: RDEL,
    name: 'an unknown restriction is 404',
    status: 404,
    call: ({ token }) => ({ method: 'DELETE', path: `/api/v2/context/${varsContext}/restrictions/${MISSING}`, token }),
  },
  {
    route: RDEL,
    name: 'a malformed restriction id is 400',
    status: 400,
    call: ({ token }) => ({ method: 'DELETE', path: `/api/v2/context/${varsContext}/restrictions/abc`, token }),
    expect: (b) => expect(b.message).toBe('restriction_id is invalid.'),
  },
  {
    route: RDEL,
    name: 'a member who is not an admin is 403',
    spec: 'none',
    status: 403,
    call: async (ctx) => {
      const list = await ctx.server.call('GET', `/api/v2/context/${varsContext}/restrictions`, ctx.token);
      return { method: 'DELETE', path: `/api/v2/context/${varsContext}/restrictions/${list.body.items[0].id}`, token: await memberToken(ctx) };
    },
  },
  {
    route: RDEL,
    name: "another organization's context is 404",
    status: 404,
    call: async (ctx) => {
      const list = await ctx.server.call('GET', `/api/v2/context/${varsContext}/restrictions`, ctx.token);
      return { method: 'DELETE', path: `/api/v2/context/${varsContext}/restrictions/${list.body.items[0].id}`, token: ctx.otherToken };
    },
  },
];
