// `circlet serve` with the operations flags as a real child process: a metrics listener and
// token from the environment, and rate limits; and the parsing of those flags.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseListen, parseTrustProxy } from '../../src/cli/serve.ts';
import { tempDir } from '../helpers/databases.ts';
import { killAll, startServe } from './child.ts';

afterEach(killAll);

describe('circlet serve operations flags', () => {
  it('serves /metrics on its own listener and the main port with the token, and limits tokens', async () => {
    const data = tempDir('circlet-serve-ops-');
    try {
      const server = await startServe(['--port', '0', '--agents', '0', '--data-dir', data, '--metrics-listen', '127.0.0.1:0', '--rate-limit', '3'], {
        env: { CIRCLET_METRICS_TOKEN: 'scrape-me' },
      });
      // The line after the URL line.
      const second = () => server.stdout().split('\n')[1] ?? '';
      const wait = Date.now() + 5_000;
      while (!second().startsWith('metrics on ') && Date.now() < wait) await new Promise((r) => setTimeout(r, 20));
      const metricsUrl = /^metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(second())?.[1];
      expect(metricsUrl).toBeDefined();
      const scrape = await fetch(metricsUrl!, { headers: { authorization: 'Bearer scrape-me' } });
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('# TYPE circlet_job_duration_seconds histogram');
      expect((await fetch(metricsUrl!)).status).toBe(401);
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })).status).toBe(200);

      const admin = fs.readFileSync(path.join(data, 'admin-token'), 'utf8').trim();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${server.url}/api/v2/me`, { headers: { 'Circle-Token': admin } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await server.stop('SIGTERM')).code).toBe(0);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('parses a listen address and proxy lists', () => {
    expect(parseListen('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseListen('host:port')).toThrow('must be host:port');
    expect(() => parseListen('127.0.0.1:70000')).toThrow('port number');
    expect(parseTrustProxy('10.0.0.1, 10.0.0.0/8,::1')).toEqual(['10.0.0.1', '10.0.0.0/8', '::1']);
    expect(() => parseTrustProxy('proxy.local')).toThrow("invalid --trust-proxy entry 'proxy.local'");
  });
});
