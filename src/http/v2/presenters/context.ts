// API shapes of contexts, their environment variables (never their values) and restrictions.
import type { Context, ContextEnvVar, ContextRestriction } from '../../../storage/contexts.ts';

export function contextBody(c: Context) {
  return { id: c.id, name: c.name, created_at: c.created_at };
}

export function envVarBody(v: ContextEnvVar) {
  return { variable: v.name, created_at: v.created_at, updated_at: v.updated_at, context_id: v.context_id };
}

export function restrictionBody(r: ContextRestriction) {
  return {
    id: r.id,
    ...(r.restriction_type === 'project' ? { project_id: r.restriction_value } : {}),
    name: r.name ?? '',
    restriction_type: r.restriction_type,
    restriction_value: r.restriction_value,
  };
}
