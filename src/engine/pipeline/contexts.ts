// Context authorization for a job about to run: every context it names must exist in the
// project's organization, the triggering user must belong to that organization, and the
// context's restrictions (projects, expressions) must admit this pipeline. When they do,
// the contexts' variables are the job's context environment.
import type { SecretBox } from '../../domain/secret-box.ts';
import { contextEnvironment, findContextByName, listContextRestrictions } from '../../storage/contexts.ts';
import type { Db } from '../../storage/executor.ts';
import { isGroupMember } from '../../storage/org-groups.ts';
import { isMember } from '../../storage/organizations.ts';
import { evaluateContextExpression, pipelineValueLookup } from '../../config/context-expression.ts';

export interface AuthorizeContextsInput {
  organizationId: string;
  projectId: string;
  /** Context names in the order the config lists them. */
  contextNames: readonly string[];
  /** Pipeline values, keyed `pipeline.git.branch` or `git.branch`; `job.ssh.enabled` may be given. */
  pipelineValues: Record<string, string | number | boolean>;
  /** The user the job runs as; null for the system actor (e.g. a schedule run as "system"). */
  userId: string | null;
}

export type AuthorizeContextsResult =
  | { ok: true; environment: Record<string, string>; contextIds: string[] }
  | { ok: false; message: string };

/** Messages a job marked `unauthorized` carries. */
export const contextMessages = {
  notMember: (name: string) => `Unauthorized: the user who triggered this job is not a member of this organization, so it cannot use context "${name}".`,
  notFound: (name: string) => `Unauthorized: context "${name}" does not exist in this organization (or was deleted).`,
  projectRestricted: (name: string) => `Unauthorized: context "${name}" is restricted to other projects.`,
  expressionRestricted: (name: string, expression: string, reason?: string) =>
    `Unauthorized: context "${name}" is restricted by an expression this pipeline does not meet: ${expression}` + (reason ? ` (${reason})` : ''),
  groupRestricted: (name: string) => `Unauthorized: context "${name}" is restricted to groups the triggering user is not in.`,
  unsupportedRestriction: (name: string, type: string) => `Unauthorized: context "${name}" has a ${type} restriction, which circlet cannot evaluate.`,
};

/**
 * Decides whether a job may use the named contexts. On success returns the merged
 * environment (contexts applied in order, later ones override earlier ones) and the ids of
 * the contexts used; otherwise the first reason it may not, as a message for the job.
 */
export async function authorizeContexts(db: Db, secrets: SecretBox, input: AuthorizeContextsInput): Promise<AuthorizeContextsResult> {
  const names = [...new Set(input.contextNames)];
  if (names.length === 0) return { ok: true, environment: {}, contextIds: [] };
  if (input.userId !== null && !(await isMember(db, input.organizationId, input.userId))) {
    return { ok: false, message: contextMessages.notMember(names[0]!) };
  }
  const lookup = pipelineValueLookup(input.pipelineValues);
  const contextIds: string[] = [];
  for (const name of names) {
    const context = await findContextByName(db, input.organizationId, name);
    if (!context) return { ok: false, message: contextMessages.notFound(name) };
    const restrictions = await listContextRestrictions(db, context.id);
    const projects = restrictions.filter((r) => r.restriction_type === 'project');
    if (projects.length > 0 && !projects.some((r) => r.restriction_value === input.projectId)) {
      return { ok: false, message: contextMessages.projectRestricted(name) };
    }
    // Group restrictions: the triggering user must be in one of the groups.
    const groups = restrictions.filter((r) => r.restriction_type === 'group');
    if (groups.length > 0) {
      let inGroup = false;
      for (const g of groups) if (input.userId !== null && (await isGroupMember(db, g.restriction_value, input.userId))) inGroup = true;
      if (!inGroup) return { ok: false, message: contextMessages.groupRestricted(name) };
    }
    for (const r of restrictions) {
      if (r.restriction_type === 'project' || r.restriction_type === 'group') continue;
      if (r.restriction_type !== 'expression') return { ok: false, message: contextMessages.unsupportedRestriction(name, r.restriction_type) };
      const result = evaluateContextExpression(r.restriction_value, lookup);
      if (!result.value) return { ok: false, message: contextMessages.expressionRestricted(name, r.restriction_value, 'error' in result ? result.error : undefined) };
    }
    contextIds.push(context.id);
  }
  return { ok: true, environment: await contextEnvironment(db, secrets, contextIds), contextIds };
}
