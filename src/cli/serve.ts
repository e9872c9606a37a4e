// `circlet serve`: run the server on the embedded default or a PostgreSQL database.
import net from 'node:net';
import v8 from 'node:v8';
import { Command, InvalidArgumentError } from 'commander';
import { action, addDataOptions } from './shared.ts';

export const DEFAULT_PORT = 8080;
/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

export function parsePort(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** `--port` wins, then `PORT`, then 8080. `0` is a real value (any free port), not "unset". */
export function resolvePort(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return option;
  const fromEnv = env.PORT;
  if (fromEnv === undefined || fromEnv.trim() === '') return DEFAULT_PORT;
  try {
    return parsePort(fromEnv);
  } catch {
    throw new Error(`invalid PORT '${fromEnv}': must be a port number (0-65535)`);
  }
}

/** `host:port` (IPv6 as `[::1]:9464`); a bare port listens on 127.0.0.1. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be host:port, e.g. 127.0.0.1:9464');
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port: parsePort(m[3]!) };
}

function parseCount(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number (0 for none)');
  return n;
}

function envCount(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return undefined;
  try {
    return parseCount(v);
  } catch {
    throw new Error(`invalid ${name} '${v}': must be a whole number (0 for none)`);
  }
}

function parseAgents(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n > 256) throw new InvalidArgumentError('must be a number of jobs (0-256)');
  return n;
}

interface ServeFlags {
  host: string;
  port?: number;
  agents: number;
  dockerOnHost?: boolean;
  dataDir?: string;
  databaseUrl?: string;
  metricsToken?: string;
  metricsListen?: { host: string; port: number };
  rateLimit?: number;
  rateLimitIp?: number;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy?: string;
  blobStore?: string;
  auditRetentionDays?: number;
  leaseTimeout?: number;
}

/** `--tls-cert` and `--tls-key` (or their env vars) go together. */
function tlsFiles(opts: ServeFlags): { certFile: string; keyFile: string } | undefined {
  const certFile = opts.tlsCert ?? (process.env.CIRCLET_TLS_CERT || undefined);
  const keyFile = opts.tlsKey ?? (process.env.CIRCLET_TLS_KEY || undefined);
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error(`--tls-cert and --tls-key go together: ${certFile ? '--tls-key' : '--tls-cert'} is missing`);
  return { certFile, keyFile };
}

/** `10.0.0.1, 10.0.0.0/8` → addresses; each checked as an IP address or CIDR. */
export function parseTrustProxy(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of list) {
    const [addr, bits, ...rest] = entry.split('/');
    const ipv = net.isIP(addr ?? '');
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (ipv === 6 ? 128 : 32));
    if (ipv === 0 || !okBits || rest.length > 0) throw new Error(`invalid --trust-proxy entry '${entry}': expected an IP address or CIDR, e.g. 10.0.0.0/8`);
  }
  return list;
}

function envListen(value: string): { host: string; port: number } {
  try {
    return parseListen(value);
  } catch {
    throw new Error(`invalid CIRCLET_METRICS_LISTEN '${value}': must be host:port, e.g. 127.0.0.1:9464`);
  }
}

function parseRetention(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 36_500) throw new InvalidArgumentError('must be a number of days (1-36500)');
  return n;
}

/** `--audit-retention-days`, else `CIRCLET_AUDIT_RETENTION_DAYS`, else the default (365). */
export function resolveRetention(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option !== undefined) return option;
  const fromEnv = env.CIRCLET_AUDIT_RETENTION_DAYS;
  if (fromEnv === undefined || fromEnv.trim() === '') return undefined;
  try {
    return parseRetention(fromEnv);
  } catch {
    throw new Error(`invalid CIRCLET_AUDIT_RETENTION_DAYS '${fromEnv}': must be a number of days (1-36500)`);
  }
}

function parseLeaseSeconds(value: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 1 || n > 3600) throw new InvalidArgumentError('must be a number of seconds (1-3600)');
  return n;
}

/** `--lease-timeout`, else `CIRCLET_LEASE_TIMEOUT`, else the engine's default (30 s); in milliseconds. */
export function resolveLeaseMs(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option !== undefined) return Math.round(option * 1000);
  const fromEnv = env.CIRCLET_LEASE_TIMEOUT;
  if (fromEnv === undefined || fromEnv.trim() === '') return undefined;
  try {
    return Math.round(parseLeaseSeconds(fromEnv) * 1000);
  } catch {
    throw new Error(`invalid CIRCLET_LEASE_TIMEOUT '${fromEnv}': must be a number of seconds (1-3600)`);
  }
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('start the circlet server (SQLite under ./.circlet by default)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', `port to listen on, 0 for any free port (env PORT; default ${DEFAULT_PORT})`, parsePort)
    .option('--agents <n>', 'jobs the embedded agent runs at once; 0 for no embedded agent', parseAgents, 1)
    .option('--docker-on-host', 'let the embedded agent run docker jobs on this host, ignoring their images')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key (env CIRCLET_TLS_CERT)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (env CIRCLET_TLS_KEY)')
    .option('--trust-proxy <addresses>', 'comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (env CIRCLET_TRUST_PROXY; default none)')
    .option('--metrics-token <token>', 'serve GET /metrics on the main port to `Authorization: Bearer <token>` (env CIRCLET_METRICS_TOKEN)')
    .option('--metrics-listen <host:port>', 'also serve GET /metrics on a listener of its own, e.g. 127.0.0.1:9464 (env CIRCLET_METRICS_LISTEN)', parseListen)
    .option('--rate-limit <n>', 'requests per minute one token may make; 0 for none (env CIRCLET_RATE_LIMIT; default none)', parseCount)
    .option('--rate-limit-ip <n>', 'requests per minute one address may make without a token (env CIRCLET_RATE_LIMIT_IP; default: --rate-limit)', parseCount)
    .option('--blob-store <kind>', 'where artifacts, caches and workspaces go: filesystem | postgres | s3 (env CIRCLET_BLOB_STORE; default: postgres on a PostgreSQL database, else filesystem)')
    .option('--audit-retention-days <days>', 'keep audit log events this many days (env CIRCLET_AUDIT_RETENTION_DAYS; default 365)', parseRetention)
    .option('--lease-timeout <seconds>', "how long a claimed job's lease lasts without a heartbeat before it ends infrastructure_fail (env CIRCLET_LEASE_TIMEOUT; default 30)", parseLeaseSeconds);
  addDataOptions(cmd);
  cmd.action(
    action(async (opts: ServeFlags) => {
      const port = resolvePort(opts.port);
      const auditRetentionDays = resolveRetention(opts.auditRetentionDays);
      const leaseMs = resolveLeaseMs(opts.leaseTimeout);
      const metricsToken = opts.metricsToken ?? (process.env.CIRCLET_METRICS_TOKEN || undefined);
      const metricsListen = opts.metricsListen ?? (process.env.CIRCLET_METRICS_LISTEN ? envListen(process.env.CIRCLET_METRICS_LISTEN) : undefined);
      const perToken = opts.rateLimit ?? envCount('CIRCLET_RATE_LIMIT') ?? 0;
      const perIp = opts.rateLimitIp ?? envCount('CIRCLET_RATE_LIMIT_IP') ?? perToken;
      const rateLimit = perToken > 0 || perIp > 0 ? { perToken, perIp } : undefined;
      const tls = tlsFiles(opts);
      const proxies = opts.trustProxy ?? process.env.CIRCLET_TRUST_PROXY;
      const trustProxy = proxies ? parseTrustProxy(proxies) : undefined;
      // A server idles most of the time: let V8 keep its heap small rather than grow it for
      // throughput (idle RSS ~95 MB instead of ~135 MB; measured by bench:startup).
      v8.setFlagsFromString('--optimize-for-size');
      // Loaded here, not at the top: `--help` and argument errors stay fast.
      const { startServer } = await import('../server/server.ts');
      const server = await startServer({ host: opts.host, port, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, agents: opts.agents, dockerOnHost: opts.dockerOnHost, metrics: { token: metricsToken, listen: metricsListen }, rateLimit, tls, trustProxy, blobStore: opts.blobStore, auditRetentionDays, leaseMs });
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          // A second Ctrl-C: do not wait for in-flight requests.
          process.stderr.write(`circlet: ${signal} again, exiting now\n`);
          process.exit(1);
        }
        stopping = true;
        process.stderr.write(`circlet: ${signal} received: stopping (running requests get ${SHUTDOWN_GRACE_MS / 1000} s)\n`);
        setTimeout(() => {
          process.stderr.write(`circlet: requests still running ${SHUTDOWN_GRACE_MS / 1000}s after ${signal}, exiting\n`);
          process.exit(1);
        }, SHUTDOWN_GRACE_MS).unref();
        server.close().then(
          () => {
            process.stderr.write('circlet: stopped\n');
            process.exit(0);
          },
          (err: unknown) => {
            process.stderr.write(`circlet: error while shutting down: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      // Readiness: the URL line is printed once the port accepts requests (and the admin
      // token, if any, exists). Tools wait for this line.
      process.stdout.write(`circlet listening on ${server.url}\n`);
      if (server.metricsUrl) process.stdout.write(`metrics on ${server.metricsUrl}\n`);
      if (server.adminToken) {
        process.stdout.write(`admin token (saved to ${server.dataDir}/admin-token): ${server.adminToken}\n`);
      }
    }),
  );
  return cmd;
}
