// Recording an API action in the audit log: the acting user of the request, its address and
// which door it came through. Every route that changes security-relevant state calls this
// after acting (the log itself is engine/services/audit.ts).
import type { FastifyRequest } from 'fastify';
import { slugOfProject } from '../domain/slug.ts';
import type { AuditActor, AuditEvent, AuditSource } from '../engine/services/audit.ts';
import { tokenOf } from './auth.ts';
import type { HttpDeps } from './deps.ts';

/** The request's user; 'dashboard' when it came with the session cookie instead of a token. */
export function actorOf(req: FastifyRequest, source?: AuditSource): AuditActor {
  const user = (req as { user?: { id: string; login: string } }).user;
  return { id: user?.id ?? null, login: user?.login ?? null, source: source ?? (user && !tokenOf(req) ? 'dashboard' : 'api'), ip: req.ip };
}

export function audit(deps: HttpDeps, req: FastifyRequest, event: AuditEvent): Promise<void> {
  return deps.engine.audit(actorOf(req), event);
}

interface ProjectLike {
  id: string;
  name: string;
  vcs_type: string;
  org_name: string;
  organization_id: string;
}

/**
 * An event about something of a project (an env var, a key, a webhook, a schedule) or the
 * project itself (no `target`): in the project's organization, the project's slug in `detail`.
 */
export function projectEvent(
  project: ProjectLike,
  action: AuditEvent['action'],
  target?: AuditEvent['target'],
  detail: AuditEvent['detail'] = {},
): AuditEvent {
  const slug = slugOfProject(project);
  return {
    action,
    organizationId: project.organization_id,
    target: target ?? { type: 'project', id: project.id, name: slug },
    detail: target ? { project: slug, ...detail } : detail,
  };
}
