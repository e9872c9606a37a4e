// Events between replicas through PostgreSQL LISTEN/NOTIFY: one dedicated connection per
// process listens; publishing is one `pg_notify` on the pool. A listener that loses its
// connection reconnects and reports the gap (notifications sent meanwhile are lost, so the
// caller wakes everything that waits once).
import type pg from 'pg';
import { sql } from 'kysely';
import type { Db } from './executor.ts';

/** PostgreSQL limits a payload to 8000 bytes; events stay far below. */
export const NOTIFY_PAYLOAD_LIMIT = 7_900;

export interface Listener {
  close(): Promise<void>;
}

export async function publish(db: Db, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}

/**
 * Listens on `channel` over its own connection (made by `connect`). `onGap` is called after
 * every reconnect. Resolves once the first LISTEN is in place.
 */
export async function listen(connect: () => pg.Client, channel: string, onMessage: (payload: string) => void, onGap: () => void, retryMs = 1_000): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name: ${channel}`);
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const open = async (): Promise<void> => {
    const c = connect();
    client = c;
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onMessage(msg.payload);
    });
    const lost = () => {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
      if (closed || client !== c) return;
      client = undefined;
      retry = setTimeout(() => void reopen(), retryMs);
      retry.unref();
    };
    c.on('error', lost);
    c.on('end', lost);
    await c.connect();
    await c.query(`LISTEN ${channel}`);
  };
  const reopen = async () => {
    try {
      await open();
      onGap();
    } catch {
      if (closed) return;
      client = undefined;
      retry = setTimeout(() => void reopen(), retryMs);
      retry.unref();
    }
  };
  await open();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
