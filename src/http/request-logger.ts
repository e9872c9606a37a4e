// Each request's logger (`req.log`, its `reqId` bound) made only when the request logs
// something at an enabled level. Fastify makes a pino child per request otherwise: its
// bindings serialised and every level method rebuilt, for the many requests that log nothing
// (per-request lines are `info`; a server run at `warn` logs only errors).
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import pino from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/** A pino logger: its `isLevelEnabled` says whether a line at a level would be written. */
interface LevelAware extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

/**
 * A pino logger made when first written to at an enabled level: each request's (its parent's
 * child with the request's bindings), or one already made (the root logger, a child with
 * options), whose own children made without options are lazy in turn.
 */
class LazyLogger {
  private constructor(
    private made: LevelAware | undefined,
    private readonly parent: LevelAware,
    private readonly bindings: Bindings,
  ) {}

  /** A logger already made. */
  static of(logger: LevelAware): LazyLogger {
    return new LazyLogger(logger, logger, {});
  }

  /** The real logger: for a request's, what Fastify's own factory would have made. */
  private real(): LevelAware {
    return (this.made ??= this.parent.child(this.bindings, {}) as LevelAware);
  }

  private log(level: Level, args: unknown[]): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.real()[level] as (...a: unknown[]) => void)(...args);
  }

  /** pino's serializers, which Fastify reads (through pino's symbol) to merge with its own; a child without options has its parent's. */
  get [pino.symbols.serializersSym](): unknown {
    return ((this.made ?? this.parent) as unknown as Record<symbol, unknown>)[pino.symbols.serializersSym];
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level);
  }

  get level(): string {
    return (this.made ?? this.parent).level;
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
    if (options) for (const _ in options) return LazyLogger.of(this.real().child(bindings, options) as LevelAware) as unknown as FastifyBaseLogger;
    return new LazyLogger(undefined, this.real(), bindings) as unknown as FastifyBaseLogger;
  }
}

/**
 * A pino logger as Fastify's `loggerInstance`: the same logger, whose children made without
 * options (each request's) are lazy. Not a `childLoggerFactory`: Fastify checks every child a
 * factory of its own makes (an array of seven method names filtered per request); its default
 * factory's children it takes as they are. A child with options (a route's log level or
 * serializers, Fastify's root logger) is made at once, as pino would. A logger that cannot
 * say which levels are on is returned as it is.
 */
export function lazyRequestLoggers(logger: FastifyBaseLogger): FastifyBaseLogger {
  if (typeof (logger as Partial<LevelAware>).isLevelEnabled !== 'function') return logger;
  return LazyLogger.of(logger as LevelAware) as unknown as FastifyBaseLogger;
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
