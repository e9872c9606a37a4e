// CircleCI's runner API v3 shapes: runner instances, resource classes, runner tokens.
import type { AgentRecord } from '../../../engine/runner/agents.ts';
import type { ResourceClass } from '../../../storage/resource-classes.ts';
import type { RunnerToken } from '../../../storage/runner-tokens.ts';

/** An agent id made by `circlet agent` is `<hostname>-<8 hex>`. */
function hostnameOf(agentId: string): string {
  const m = /^(.+)-[0-9a-f]{8}$/.exec(agentId);
  return m ? m[1]! : agentId;
}

export function presentRunner(a: AgentRecord) {
  return {
    resource_class: a.resourceClass,
    hostname: hostnameOf(a.agentId),
    name: a.agentId,
    first_connected: a.firstSeen.toISOString(),
    last_connected: a.lastSeen.toISOString(),
    last_used: (a.lastUsed ?? a.firstSeen).toISOString(),
    version: '',
    ip: a.ip,
  };
}

export function presentResourceClass(rc: ResourceClass) {
  return { id: rc.id, resource_class: rc.name, description: rc.description };
}

export function presentToken(t: RunnerToken) {
  return { id: t.id, resource_class: t.resource_class, nickname: t.name, created_at: t.created_at };
}
