// Step output is stored in `seq` order. An agent keeps the next chunk of a step in flight
// while the server stores the one before (src/agent/output.ts), so two requests of one step
// can be handled at once, and the later one may even arrive first. Live log readers fetch
// "chunks after the last seq seen", so chunk n must not become visible before chunk n − 1:
// a chunk waits until its predecessor was handled (stored, refused or empty) by this
// process, or is found settled in the database (stored by another replica, or never to be:
// the step is full). A predecessor the agent gave up on never comes: after
// `PREDECESSOR_WAIT_MS` the chunk is stored anyway.
import type { Db } from '../../storage/executor.ts';
import { stepOutputSettled } from '../../storage/step-output.ts';

/** How long a chunk waits for a predecessor that is neither in this process nor stored. */
export const PREDECESSOR_WAIT_MS = 5000;
/** Steps whose last handled seq is remembered (the least recently written are forgotten). */
const REMEMBERED_STEPS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OutputOrder {
  /** `task:index:seq` → the handling of that chunk in this process. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** `task:index` → the highest seq handled in this process, most recently handled last. */
  private readonly handled = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly waitMs = PREDECESSOR_WAIT_MS,
  ) {}

  /** Runs `store` for chunk `seq` once chunk `seq − 1` of the same step was handled. */
  async run<T>(taskId: string, index: number, seq: number, store: () => Promise<T>): Promise<T> {
    const key = `${taskId}:${index}:${seq}`;
    const p = this.after(taskId, index, seq).then(store);
    this.inFlight.set(key, p);
    try {
      return await p;
    } finally {
      if (this.inFlight.get(key) === p) this.inFlight.delete(key);
      this.markHandled(`${taskId}:${index}`, seq);
    }
  }

  private markHandled(step: string, seq: number): void {
    const last = this.handled.get(step);
    this.handled.delete(step);
    this.handled.set(step, last === undefined ? seq : Math.max(last, seq));
    if (this.handled.size > REMEMBERED_STEPS) this.handled.delete(this.handled.keys().next().value!);
  }

  private async after(taskId: string, index: number, seq: number): Promise<void> {
    if (seq === 0) return;
    const deadline = performance.now() + this.waitMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      const before = this.inFlight.get(`${taskId}:${index}:${seq - 1}`);
      if (before) {
        await before.catch(() => undefined);
        return;
      }
      if ((this.handled.get(`${taskId}:${index}`) ?? -1) >= seq - 1) return;
      if (await stepOutputSettled(this.db, taskId, index, seq - 1)) return;
      if (performance.now() >= deadline) return;
      await sleep(pause);
    }
  }
}
