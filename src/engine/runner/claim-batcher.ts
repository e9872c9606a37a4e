// Claims arriving together go to the database together (PostgreSQL). The first claim of a
// kind (same executors and resource classes) runs at once; while MAX_IN_FLIGHT statements of
// that kind are on their way, later ones wait and then go in one statement (claimQueuedTasks),
// up to MAX_BATCH. A lone agent waits for nothing; sixteen agents asking at once cost a few
// statements, not sixteen.
import { nowIso } from '../../domain/clock.ts';
import { claimQueuedTasks, type BatchFilter, type Claimer } from '../../storage/claim-batch.ts';
import type { ClaimedTask } from '../../storage/tasks.ts';
import type { EngineDeps } from '../deps.ts';

const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 32;

interface Waiting extends Claimer {
  resolve(claimed: ClaimedTask | undefined): void;
  reject(err: unknown): void;
}

interface Group {
  filter: BatchFilter;
  waiting: Waiting[];
  inFlight: number;
}

export class ClaimBatcher {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly deps: EngineDeps) {}

  claim(filter: BatchFilter, claimer: Claimer): Promise<ClaimedTask | undefined> {
    const key = `${[...filter.executors].sort().join(',')}|${filter.resourceClasses === null ? '*' : [...filter.resourceClasses].sort().join(',')}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { filter, waiting: [], inFlight: 0 }));
    const g = group;
    return new Promise((resolve, reject) => {
      g.waiting.push({ ...claimer, resolve, reject });
      this.pump(key, g);
    });
  }

  private pump(key: string, g: Group): void {
    while (g.inFlight < MAX_IN_FLIGHT && g.waiting.length > 0) {
      const batch = g.waiting.splice(0, MAX_BATCH);
      g.inFlight++;
      const now = this.deps.now();
      const leaseUntil = nowIso(new Date(now.getTime() + this.deps.leaseMs));
      claimQueuedTasks(this.deps.database.db, g.filter, batch, nowIso(now), leaseUntil)
        .then(
          (claimed) => batch.forEach((w, i) => w.resolve(claimed[i])),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          g.inFlight--;
          if (g.inFlight === 0 && g.waiting.length === 0) this.groups.delete(key);
          else this.pump(key, g);
        });
    }
  }
}
