// Limits of the HTTP listener (docs/security.md): timeouts that close slow or idle
// connections, and a cap on concurrent connections from one address, so neither slowloris
// nor a flood of idle sockets can exhaust the server's connections or file descriptors.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export interface ListenerLimits {
  /** Time to receive a request's headers (slowloris), ms. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included, ms (large artifact uploads need minutes). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all is closed after this, ms. */
  idleTimeoutMs: number;
  /** How often Node checks the header and request timeouts, ms. */
  checkIntervalMs: number;
  /** Concurrent connections from one remote address; more are closed at once. */
  connectionsPerAddress: number;
}

export const LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  // Fastify's own default: agents reuse keep-alive connections between long polls.
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 120_000,
  checkIntervalMs: 2_000,
  connectionsPerAddress: 256,
};

/** Options for http.createServer (Fastify's `http` option). */
export function serverOptions(l: ListenerLimits): ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: l.checkIntervalMs,
  };
}

/**
 * The per-address connection cap and the idle timeout, on a created server (the other timeouts
 * are Fastify options). The idle timeout is a sweep every `checkIntervalMs` over the open
 * connections, as Node checks its header and request timeouts: a connection whose bytes read
 * and written have not moved for `idleTimeoutMs` is closed. (A per-socket timer, Node's
 * `server.setTimeout`, is re-armed at every read and write: about 1,000 instructions of every
 * request, for the rare connection that goes silent.)
 */
export function guardConnections(server: Server, l: ListenerLimits): void {
  const open = new Map<string, number>();
  const seen = new Map<Socket, { bytes: number; at: number }>();
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > l.connectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    seen.set(socket, { bytes: 0, at: Date.now() });
    socket.once('close', () => {
      seen.delete(socket);
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
  const sweep = setInterval(() => closeIdle(seen, l.idleTimeoutMs, Date.now()), l.checkIntervalMs);
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}

/** Closes the connections whose traffic has not moved for `idleMs`; notes the others' progress. */
export function closeIdle(seen: Map<Socket, { bytes: number; at: number }>, idleMs: number, now: number): void {
  for (const [socket, last] of seen) {
    const bytes = socket.bytesRead + socket.bytesWritten;
    if (bytes !== last.bytes) {
      last.bytes = bytes;
      last.at = now;
    } else if (now - last.at >= idleMs) {
      seen.delete(socket);
      socket.destroy();
    }
  }
}
