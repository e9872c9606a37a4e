// One running circlet instance: the engine and the HTTP app over one database, listening
// on its port, and (startServing) the embedded agent that runs its jobs. The only place they
// are wired together; `circlet serve`, `circlet run`, the test helpers and the benches all
// build instances here.
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { OrbSource } from '../config/index.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { Engine, type EngineOptions } from '../engine/engine.ts';
import type { EngineObserver } from '../engine/observer.ts';
import { GitMirrors } from '../engine/services/git-mirror.ts';
import { buildApp } from '../http/app.ts';
import type { RateLimitOptions } from '../http/rate-limit.ts';
import { startMetricsListener } from '../http/metrics/index.ts';
import { LISTENER_LIMITS, serverOptions } from '../http/listener.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { defaultBlobStore } from './blob-default.ts';
import type { Database } from '../storage/db.ts';
import type { Logger } from '../agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from './embedded-agent.ts';

/** Engine settings an instance may change (lease length, clock, intervals, delivery). */
export type EngineTuning = Partial<Pick<EngineOptions, 'leaseMs' | 'reapIntervalMs' | 'now' | 'scheduleIntervalMs' | 'webhookDelivery' | 'sweepIntervalMs' | 'auditRetentionDays' | 'auditSweepIntervalMs' | 'compileInline'>>;

export interface EngineConfig {
  database: Database;
  secrets: SecretBox;
  /** Git mirrors under `<dataDir>/mirrors`, filesystem blobs under `<dataDir>/blobs`. */
  dataDir: string;
  baseUrl: string;
  orbSource?: OrbSource;
  /** Default: chunked rows on PostgreSQL, files under `<dataDir>/blobs` on SQLite (server/blob-config.ts). */
  blobs?: BlobStore;
  engine?: EngineTuning;
  /** Told of finished jobs, workflows and claims (the instance's metrics). */
  observer?: EngineObserver;
}

export interface InstanceConfig extends Omit<EngineConfig, 'baseUrl'> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  logger?: FastifyBaseLogger;
  /** Start the engine's background services (default true). */
  start?: boolean;
  /** Only these APIs, by prefix (see AppOptions.only); default every API and the dashboard. */
  only?: readonly string[];
  /** Adds routes of the caller's own before the app is ready (benches: a reference page). */
  extend?: (app: FastifyInstance) => void | Promise<void>;
  /** Metrics (docs/operations.md): collected always; GET /metrics served on the main port with a token, or on a listener of its own. */
  metrics?: MetricsConfig;
  /** Per-token and per-address request limits (docs/operations.md); none by default. */
  rateLimit?: RateLimitOptions;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Reverse proxies whose forwarded headers are believed (addresses or CIDRs). */
  trustProxy?: string[];
}

export interface MetricsConfig {
  /** Bearer token a scrape presents; without it the main port serves no /metrics. */
  token?: string;
  /** A listener serving only /metrics (e.g. 127.0.0.1:9464), token or not. */
  listen?: { host: string; port: number };
}

export interface Instance {
  app: FastifyInstance;
  engine: Engine;
  /** The URL clients reach it at, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The metrics listener's URL, when one was asked for. */
  metricsUrl?: string;
  /** Stops the engine and the app and closes the port; the database stays open (its owner closes it). */
  close(): Promise<void>;
}

/** The URL clients use to reach `host:port` (a wildcard address is reached on loopback). */
export function urlFor(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${scheme}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** An engine with its git mirrors under `dataDir` and its blob store (given, or the database's default). */
export function createEngine(config: EngineConfig): Engine {
  return new Engine({
    database: config.database,
    secrets: config.secrets,
    mirrors: new GitMirrors(path.join(config.dataDir, 'mirrors')),
    blobs: config.blobs ?? defaultBlobStore(config.database, config.dataDir),
    orbSource: config.orbSource,
    baseUrl: config.baseUrl,
    observer: config.observer,
    ...config.engine,
  });
}

/**
 * A server with the listener limits (http/listener.ts); the app applies the timeouts again
 * when it takes it over. With `tls`, an HTTPS server (the same request API as http.Server).
 */
function httpServer(tls?: InstanceConfig['tls']): http.Server {
  if (!tls) return http.createServer(serverOptions(LISTENER_LIMITS));
  return https.createServer({ ...serverOptions(LISTENER_LIMITS), cert: tls.cert, key: tls.key }) as unknown as http.Server;
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Takes the port first, so the engine is built knowing its public URL; then builds the app
 * on that server and starts the engine.
 */
export async function createInstance(config: InstanceConfig): Promise<Instance> {
  const host = config.host ?? '127.0.0.1';
  const server = httpServer(config.tls);
  const url = urlFor(host, await listen(server, host, config.port ?? 0), config.tls ? 'https' : 'http');
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  // A local run (only some APIs) keeps no metrics and never loads prom-client.
  const metrics = config.only ? undefined : new (await import('../http/metrics/registry.ts')).CircletMetrics();
  const engine = createEngine({ ...config, baseUrl: url, observer: metrics });
  metrics?.bind(config.database, engine);
  let app: FastifyInstance | undefined;
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  try {
    app = await buildApp(
      { database: config.database, secrets: config.secrets, engine },
      {
        logger: config.logger,
        server,
        ...(config.only ? { only: config.only } : {}),
        ...(metrics ? { metrics: { metrics, token: config.metrics?.token } } : {}),
        rateLimit: config.rateLimit,
        trustProxy: config.trustProxy,
      },
    );
    await config.extend?.(app);
    await app.ready();
    const listen = config.metrics?.listen;
    if (listen && metrics) metricsListener = await startMetricsListener(metrics, listen.host, listen.port, config.metrics?.token);
  } catch (err) {
    await engine.stop();
    await metricsListener?.close();
    await app?.close().catch(() => undefined);
    await closeServer();
    throw err;
  }
  if (config.start !== false) {
    // Replicas on one PostgreSQL database wake each other's waiters (engine/events.ts).
    await engine.connectEvents().catch((err: unknown) => config.logger?.warn({ err }, 'events are not shared across replicas (LISTEN failed); waiters fall back to polling'));
    engine.start();
  }
  const running = app;
  return {
    app: running,
    engine,
    url,
    metricsUrl: metricsListener?.url,
    async close() {
      const stopped = engine.stop();
      await metricsListener?.close();
      const closed = closeServer();
      await running.close();
      // The app has answered every request it took: a connection still open now is a client
      // that has not read its last response (or a stream the app ended), and would hold the
      // close for ever.
      server.closeAllConnections();
      await closed;
      await stopped;
    },
  };
}

export interface ServingConfig extends InstanceConfig {
  /** The embedded agent; none when absent. */
  agent?: {
    /** Jobs at once. */
    concurrency: number;
    /** Docker jobs run on the host. */
    dockerOnHost?: boolean;
    logger: Logger;
    /** On this thread instead of a worker thread of its own (server/embedded-agent.ts). */
    inProcess?: boolean;
    /** `checkout` fetches from the project's URL, not over /git (server/embedded-agent.ts). */
    checkoutFromOrigin?: boolean;
  };
  /** Runs once the port is ours, before the agent starts (the server: the first admin token). */
  beforeAgent?: () => Promise<void>;
}

export interface ServingInstance extends Instance {
  agent?: EmbeddedAgent;
  /** Stops the agent (running jobs get `drainMs`, default 5 s), the engine and the app, then closes the database. */
  close(drainMs?: number): Promise<void>;
}

/**
 * An instance and its embedded agent, owning the database it is given: close() stops them and
 * closes it, and a start that fails closes whatever it opened, the database included (a
 * PostgreSQL pool left open would keep the process alive). `circlet serve` and `circlet run`
 * both start here.
 */
export async function startServing(config: ServingConfig): Promise<ServingInstance> {
  const { database } = config;
  try {
    const instance = await createInstance(config);
    try {
      await config.beforeAgent?.();
      const agent = config.agent && config.agent.concurrency > 0 ? await startEmbeddedAgent({ database, url: instance.url, dataDir: config.dataDir, outputStore: instance.engine.runner, ...config.agent }) : undefined;
      return {
        ...instance,
        agent,
        async close(drainMs?: number) {
          await agent?.stop(drainMs).catch(() => undefined);
          try {
            await instance.close();
          } finally {
            await database.close();
          }
        },
      };
    } catch (err) {
      await instance.close().catch(() => undefined);
      throw err;
    }
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
