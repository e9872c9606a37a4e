// The agents this replica has heard from: which resource class each serves, when it first
// and last asked for work, and when it last took a task. In memory: each replica knows the
// agents that talk to it (docs/operations.md). An agent counts as connected while it has
// spoken within CONNECTED_MS (agents long-poll claims every 25 s and heartbeat every few).
export const CONNECTED_MS = 60_000;
/** Agents silent this long are forgotten. */
const FORGET_MS = 24 * 3600_000;
const MAX_AGENTS = 10_000;

export interface AgentRecord {
  agentId: string;
  /** The runner token's self-hosted class, or '' for cloud classes. */
  resourceClass: string;
  ip: string;
  firstSeen: Date;
  lastSeen: Date;
  lastUsed: Date | null;
}

export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The agent asked for work or reported on a task. */
  seen(agentId: string, resourceClass: string, ip = ''): void {
    const now = this.now();
    const known = this.agents.get(agentId);
    if (known) {
      known.lastSeen = now;
      known.resourceClass = resourceClass;
      if (ip) known.ip = ip;
      return;
    }
    if (this.agents.size >= MAX_AGENTS) this.prune(now);
    this.agents.set(agentId, { agentId, resourceClass, ip, firstSeen: now, lastSeen: now, lastUsed: null });
  }

  /** The agent took a task. */
  used(agentId: string): void {
    const known = this.agents.get(agentId);
    if (known) known.lastUsed = this.now();
  }

  /** Agents heard from within FORGET_MS, oldest first. */
  list(): AgentRecord[] {
    this.prune(this.now());
    return [...this.agents.values()];
  }

  /** Agents connected now, per resource class ('' = cloud classes). */
  connectedByClass(): Map<string, number> {
    const since = this.now().getTime() - CONNECTED_MS;
    const counts = new Map<string, number>();
    for (const a of this.agents.values()) if (a.lastSeen.getTime() >= since) counts.set(a.resourceClass, (counts.get(a.resourceClass) ?? 0) + 1);
    return counts;
  }

  private prune(now: Date): void {
    const before = now.getTime() - FORGET_MS;
    for (const [id, a] of this.agents) if (a.lastSeen.getTime() < before) this.agents.delete(id);
    // Still full: drop the longest silent.
    while (this.agents.size >= MAX_AGENTS) {
      const oldest = [...this.agents.values()].sort((a, b) => a.lastSeen.getTime() - b.lastSeen.getTime())[0]!;
      this.agents.delete(oldest.agentId);
    }
  }
}
