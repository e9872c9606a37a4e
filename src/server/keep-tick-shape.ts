// Keeps one `process.nextTick` tick object alive for the life of the process.
//
// Node builds each tick object from one object literal whose first keys are computed
// (`{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`). V8 takes such a
// literal's starting map from a weak per-count cache. Without a tick object alive, a GC can
// drop that map (a process that loads as much code as circlet's does many during start-up),
// the next tick then starts from a new map, the literal's feedback goes megamorphic, and from
// then on every tick object is built through V8's runtime: measured under callgrind on
// `GET /api/v2/me`, about 20 runtime calls of ~1,200 instructions each per request (stream
// ends, writes and destroys all take a tick), about a sixth of circlet's instructions per
// request; a bare node:http server showed none. One tick object kept alive keeps the map, and
// with it the fast path. Imported first by the CLI entry point (cli/main.ts) and the embedded agent
// worker, before anything else runs.
import { executionAsyncResource } from 'node:async_hooks';

const holder = globalThis as { __circletTickShape?: object };
// One argument, as most of Node's own ticks pass (the `args` field then holds an array).
process.nextTick((_: unknown) => {
  holder.__circletTickShape = executionAsyncResource();
}, 0);
