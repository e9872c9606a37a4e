// Hooks given to each route as it is registered (an onRoute hook), not to a whole scope:
// - a route that needs none of a phase's checks skips that phase of Fastify's lifecycle;
// - a hook is made for its route, with the route's options (its config, its URL template)
//   in its closure, instead of reading `req.routeOptions`, an object of 13 fields Fastify
//   builds at every read.
// The hook goes first among the route's own hooks of that phase, after the hooks added to
// its scopes with addHook (Fastify runs scope hooks, then route hooks).
import type { FastifyInstance, RouteOptions } from 'fastify';

type Phase = 'onRequest' | 'preValidation' | 'preHandler' | 'onResponse';

/** A callback-style hook of any phase (the first two arguments are request and reply). */
type Hook = (...args: never[]) => void | Promise<void>;

/**
 * For each route registered on `app` (or in its child scopes) after this call, `hookFor`
 * picks the hook of `phase` the route needs, or none.
 */
export function addRouteHook(app: FastifyInstance, phase: Phase, hookFor: (route: RouteOptions) => Hook | undefined): void {
  app.addHook('onRoute', (route) => {
    const hook = hookFor(route);
    if (!hook) return;
    const options = route as unknown as Record<Phase, Hook | Hook[] | undefined>;
    const own = options[phase];
    options[phase] = own === undefined ? [hook] : [hook, ...(Array.isArray(own) ? own : [own])];
  });
}
