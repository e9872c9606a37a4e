// Each request's logger (`req.log`, its `reqId` bound) made only when the request logs
// something at an enabled level. Fastify makes a pino child per request otherwise: its
// bindings serialised and every level method rebuilt, for the many requests that log nothing
// (per-request lines are `info`; a server run at `warn` logs only errors).
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/** A pino logger: its `isLevelEnabled` says whether a line at a level would be written. */
interface LevelAware extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: LevelAware,
    private readonly bindings: Bindings,
  ) {}

  /** The real child: what Fastify's own factory would have made for this request. */
  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, {}));
  }

  private log(level: Level, args: unknown[]): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.real()[level] as (...a: unknown[]) => void)(...args);
  }

  isLevelEnabled(level: string): boolean {
    return (this.made as LevelAware | undefined)?.isLevelEnabled(level) ?? this.parent.isLevelEnabled(level);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.log('error', args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', args);
  }
  info(...args: unknown[]): void {
    this.log('info', args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.log('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory` for a pino logger; undefined for another kind of logger
 * (Fastify's default then). A route with a log level or serializers of its own gets its child
 * at once, as Fastify would make it.
 */
export function lazyChildLoggers(logger: FastifyBaseLogger) {
  if (typeof (logger as Partial<LevelAware>).isLevelEnabled !== 'function') return undefined;
  return (parent: FastifyBaseLogger, bindings: Bindings, opts: ChildOptions & object): FastifyBaseLogger => {
    for (const _ in opts) return parent.child(bindings, opts);
    return new LazyChildLogger(parent as LevelAware, bindings) as unknown as FastifyBaseLogger;
  };
}

/** True when the request's logger would write an `info` line (any logger that cannot say: true). */
function infoOn(request: FastifyRequest): boolean {
  const log = request.log as Partial<LevelAware>;
  return typeof log.isLevelEnabled !== 'function' || log.isLevelEnabled('info');
}

/**
 * Fastify's per-request lines (`incoming request`, `request completed`, both `info`), not even
 * built when the request's logger is above `info`; a response that failed is still logged.
 */
export class RequestLines extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (infoOn(request)) super.incomingRequest(request, reply, metadata);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error || infoOn(request)) super.requestCompleted(error, request, reply, metadata);
  }
}
