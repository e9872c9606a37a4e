// Hooks given to each route as it is registered (src/http/route-hooks.ts), and the edge
// checks' choice of routes (src/http/edge.ts): real Fastify apps, answered over inject.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { takesNumbers } from '../../src/http/edge.ts';
import { addRouteHook } from '../../src/http/route-hooks.ts';

type Done = (err?: Error) => void;

describe('addRouteHook', () => {
  it('runs after the scope hooks and before the route’s own, on the routes it picks, HEAD twins included, once each', async () => {
    const app = Fastify();
    const seen: string[] = [];
    const mark = (name: string) => (req: FastifyRequest, _reply: FastifyReply, done: Done) => {
      seen.push(`${req.method} ${name}`);
      done();
    };
    app.get('/before', async () => 'before');
    app.addHook('onRequest', mark('scope'));
    addRouteHook(app, 'onRequest', (route) => ((route.config as { skip?: boolean } | undefined)?.skip === true ? undefined : mark(`route ${route.url}`)));
    await app.register(
      async (child) => {
        child.get('/a', { onRequest: mark('own') }, async () => 'a');
        child.get('/b', { config: { skip: true } }, async () => 'b');
      },
      { prefix: '/child' },
    );
    await app.ready();

    expect((await app.inject('/child/a')).body).toBe('a');
    expect(seen).toEqual(['GET scope', 'GET route /child/a', 'GET own']);
    seen.length = 0;
    await app.inject({ method: 'HEAD', url: '/child/a' });
    expect(seen).toEqual(['HEAD scope', 'HEAD route /child/a', 'HEAD own']);
    seen.length = 0;
    await app.inject('/child/b');
    expect(seen).toEqual(['GET scope']);
    seen.length = 0;
    // A route registered before the call is not given the hook.
    await app.inject('/before');
    expect(seen).toEqual(['GET scope']);
    await app.close();
  });

  it('gives a phase to a route that had no hook of it', async () => {
    const app = Fastify();
    const phases: string[] = [];
    for (const phase of ['preValidation', 'preHandler', 'onResponse'] as const) {
      addRouteHook(app, phase, (route) =>
        route.url === '/x'
          ? (_req: FastifyRequest, _reply: FastifyReply, done: Done) => {
              phases.push(phase);
              done();
            }
          : undefined,
      );
    }
    app.get('/x', async () => 'x');
    app.get('/y', async () => 'y');
    await app.ready();
    await app.inject('/y');
    expect(phases).toEqual([]);
    await app.inject('/x');
    expect(phases).toEqual(['preValidation', 'preHandler', 'onResponse']);
    await app.close();
  });
});

describe('takesNumbers', () => {
  it('is true only where a params or query schema can coerce a value to a number', () => {
    expect(takesNumbers(undefined)).toBe(false);
    expect(takesNumbers({ response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } } })).toBe(false);
    expect(takesNumbers({ params: { type: 'object', properties: { slug: { type: 'string' } } } })).toBe(false);
    expect(takesNumbers({ params: { type: 'object', properties: { number: { type: 'integer' } } } })).toBe(true);
    expect(takesNumbers({ querystring: { type: 'object', properties: { limit: { type: ['number', 'null'] } } } })).toBe(true);
    expect(takesNumbers({ query: { type: 'object', properties: { ids: { type: 'array', items: { anyOf: [{ type: 'integer' }] } } } } })).toBe(true);
    expect(takesNumbers({ querystring: { $ref: 'paging#' } })).toBe(true);
  });
});
