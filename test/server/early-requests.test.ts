// A replica listens before its app is ready (the engine needs its URL first). Behind a load
// balancer, requests arrive at once: at a replica restarted after a crash, a request in that
// window used to reach Fastify's half-built router, which threw and killed the process (found
// by test/scale/chaos.test.ts). Now such a request waits and is answered once the app is ready.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';
import { tempDir } from '../helpers/databases.ts';

describe('requests that arrive before the app is ready', () => {
  const dir = tempDir('circlet-early-');
  let database: Database | undefined;
  let instance: Instance | undefined;
  afterAll(async () => {
    await instance?.close();
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('wait for the app and are answered, not crash the server', async () => {
    database = await openAndMigrate(path.join(dir, 'circlet.db'));
    const early: Promise<Response>[] = [];
    let answered = false;
    let answeredBeforeReady: boolean | undefined;
    instance = await createInstance({
      database,
      secrets: createSecretBox(crypto.randomBytes(32)),
      dataDir: dir,
      // Runs after the app is built and before it is ready, with the port already listening.
      extend: async (app) => {
        const port = (app.server.address() as net.AddressInfo).port;
        for (const p of ['/healthz', '/api/v2/me', '/no/such/route']) early.push(fetch(`http://127.0.0.1:${port}${p}`));
        void Promise.race(early).then(() => (answered = true), () => (answered = true));
        await new Promise((r) => setTimeout(r, 300));
        answeredBeforeReady = answered;
      },
    });
    const [health, me, missing] = await Promise.all(early);
    expect(answeredBeforeReady).toBe(false);
    expect(health!.status).toBe(200);
    expect(await health!.json()).toEqual({ status: 'ok' });
    expect(me!.status).toBe(401);
    expect(missing!.status).toBe(404);
    // And the server still serves.
    expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
  });
});
