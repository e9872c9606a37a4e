// The engine's events: 'tasks' (tasks were queued; the classes they need), 'cancel' (a
// running task should stop), 'webhooks' (deliveries are due) and 'job' (a job's steps or
// output changed; its id). In one process they are an EventEmitter; with PostgreSQL every
// emit is also published with NOTIFY and every replica re-emits what the others published,
// so a long-poll, a live log stream or the webhook worker on any replica wakes.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Database } from '../storage/db.ts';
import type { Listener } from '../storage/notify.ts';
import { NOTIFY_PAYLOAD_LIMIT, publish } from '../storage/notify.ts';

export const EVENTS_CHANNEL = 'circlet_events';

/** What a queued task needs of an agent. */
export interface TaskClass {
  executor: string;
  resource_class: string;
}

/** True when an agent with these capabilities could claim a task of class `c`. */
export function agentMatches(agent: { executors: readonly string[]; resourceClasses: readonly string[] | null }, c: TaskClass): boolean {
  if (!agent.executors.includes(c.executor)) return false;
  return agent.resourceClasses === null ? !c.resource_class.includes('/') : agent.resourceClasses.includes(c.resource_class);
}

interface Wire {
  o: string;
  e: string;
  a: unknown[];
}

/** Events of one kind that a reader takes in turns: none is missed between two waits. */
export interface Watch {
  /** Resolves at once if an event came since the last wait, else on the next one, after `ms` or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export class EngineEvents extends EventEmitter {
  private readonly origin = crypto.randomUUID();
  private readonly queued = new Map<string, TaskClass>();
  private database?: Database;
  private listener?: Listener;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  /** True once events cross replicas (PostgreSQL LISTEN is in place). */
  get shared(): boolean {
    return this.listener !== undefined;
  }

  /** Notes the class of a task being queued; the next `emit('tasks')` carries it. */
  noteQueued(c: TaskClass): void {
    this.queued.set(`${c.executor}\u0000${c.resource_class}`, c);
  }

  /**
   * Emits here and, when shared, on every other replica. A bare 'tasks' carries the classes
   * noted since the last one; an empty list means "any class" (waiters all re-check).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'tasks' && args.length === 0) {
      args = [[...this.queued.values()]];
      this.queued.clear();
    }
    const had = super.emit(event, ...args);
    if (this.database && typeof event === 'string') {
      let payload = JSON.stringify({ o: this.origin, e: event, a: args } satisfies Wire);
      if (payload.length > NOTIFY_PAYLOAD_LIMIT) payload = JSON.stringify({ o: this.origin, e: event, a: event === 'tasks' ? [[]] : [] } satisfies Wire);
      void publish(this.database.db, EVENTS_CHANNEL, payload).catch(() => undefined);
    }
    return had;
  }

  /** Watches `event` for arguments `accept` takes. */
  watch(event: string, accept: (arg: unknown) => boolean): Watch {
    let pending = false;
    let wake: (() => void) | undefined;
    const on = (arg?: unknown) => {
      if (!accept(arg)) return;
      pending = true;
      wake?.();
    };
    this.on(event, on);
    return {
      wait: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (pending || signal?.aborted) {
            pending = false;
            return resolve();
          }
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            wake = undefined;
            pending = false;
            resolve();
          };
          const timer = setTimeout(done, ms);
          signal?.addEventListener('abort', done);
          wake = done;
        }),
      close: () => {
        this.off(event, on);
        wake?.();
      },
    };
  }

  /** Starts sharing events through the database, when it can (PostgreSQL). */
  async share(database: Database): Promise<void> {
    if (!database.listen || this.listener) return;
    this.listener = await database.listen(
      EVENTS_CHANNEL,
      (payload) => this.receive(payload),
      // Notifications sent while disconnected are lost: wake every waiter once.
      () => {
        super.emit('tasks', []);
        super.emit('cancel');
        super.emit('webhooks');
        super.emit('job', undefined);
      },
    );
    this.database = database;
  }

  async unshare(): Promise<void> {
    this.database = undefined;
    const l = this.listener;
    this.listener = undefined;
    await l?.close();
  }

  private receive(payload: string): void {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch {
      return;
    }
    if (wire.o === this.origin || typeof wire.e !== 'string' || !Array.isArray(wire.a)) return;
    super.emit(wire.e, ...wire.a);
  }
}
