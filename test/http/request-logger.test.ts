// Request loggers made on first use, and request lines skipped above `info`, write the same
// lines as Fastify's own per-request pino child and log controller: at `info` (the
// per-request lines) and at `warn` (errors only), with the request's id, route log levels,
// and children of the request's logger.
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyRequestLoggers, RequestLines } from '../../src/http/request-logger.ts';

async function linesOf(level: string, lazy: boolean, requests: string[], serializers?: pino.LoggerOptions['serializers']): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const logger = pino({ level, base: null, timestamp: false, ...(serializers ? { serializers } : {}) }, { write: (s: string) => lines.push(s) }) as FastifyBaseLogger;
  const instance = lazy ? lazyRequestLoggers(logger) : logger;
  if (lazy) expect(instance).not.toBe(logger);
  const app = Fastify({ loggerInstance: instance, ...(lazy ? { logController: new RequestLines() } : {}) });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/warns', async (req) => {
    req.log.warn({ detail: 1 }, 'something odd');
    req.log.debug('not at warn');
    return { ok: true };
  });
  app.get('/child', async (req) => {
    req.log.child({ part: 'x' }).error('from a child');
    return { ok: true };
  });
  app.get('/quiet', { logLevel: 'error' }, async (req) => {
    req.log.warn('below the route level');
    return { ok: true };
  });
  // A route more talkative than the server: its request lines are written.
  app.get('/chatty', { logLevel: 'debug' }, async (req) => {
    req.log.debug('at debug');
    return { ok: true };
  });
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  for (const url of requests) await app.inject(url);
  await app.close();
  // Times differ between runs; everything else must not.
  return lines.map((l) => {
    const { responseTime, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return responseTime === undefined ? rest : { ...rest, responseTime: typeof responseTime };
  });
}

const REQUESTS = ['/ok', '/warns', '/child', '/quiet', '/chatty', '/boom', '/ok'];

describe('lazy request loggers', () => {
  for (const level of ['info', 'warn', 'error', 'debug']) {
    it(`write what Fastify's own request loggers write at ${level}`, async () => {
      const theirs = await linesOf(level, false, REQUESTS);
      const ours = await linesOf(level, true, REQUESTS);
      expect(ours).toEqual(theirs);
      expect(ours.length).toBeGreaterThan(0);
    });
  }

  it('bind the request id and log nothing for a quiet request at warn', async () => {
    const lines = await linesOf('warn', true, ['/ok', '/warns']);
    expect(lines).toEqual([{ level: 40, reqId: 'req-2', detail: 1, msg: 'something odd' }]);
  });

  it("keep the logger's own serializers, as Fastify merges them over its own", async () => {
    // circlet's server logger writes a request as its method and redacted URL only.
    const serializers = { req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }) };
    const theirs = await linesOf('info', false, ['/ok?circle-token=x'], serializers);
    const ours = await linesOf('info', true, ['/ok?circle-token=x'], serializers);
    expect(ours).toEqual(theirs);
    expect(ours[0]).toMatchObject({ req: { method: 'GET', path: '/ok' }, msg: 'incoming request' });
  });

  it('are not used for a logger that cannot say which levels are on', () => {
    const plain = { level: 'info', info() {}, error() {}, debug() {}, fatal() {}, warn() {}, trace() {}, silent() {}, child: () => plain } as unknown as FastifyBaseLogger;
    expect(lazyRequestLoggers(plain)).toBe(plain);
  });
});
