// Incoming git-forge webhooks: GitHub, Gitea/Forgejo and GitLab payloads and plain
// `post-receive` ref updates become triggers. Parsing is pure; `triggerForgeEvent` starts
// the pipelines with `trigger.type = webhook`.
import crypto from 'node:crypto';
import type { Pipeline } from '../../storage/pipelines.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import type { EngineDeps } from '../deps.ts';
import { forgeTriggers } from '../../storage/pipeline-definitions.ts';
import { triggerPipeline } from './trigger.ts';
import { refOfName, triggerFires } from './trigger-match.ts';

const ZERO_SHA = /^0+$/;

/** One ref to build. */
export interface ForgeTrigger {
  branch?: string;
  tag?: string;
  revision?: string;
  review?: { id: string; url: string };
  /** The head commit's message, when the payload gives it (for `[ci skip]`). */
  message?: string;
}

/** `[ci skip]` or `[skip ci]` in a commit message: CircleCI builds nothing for it. */
export const CI_SKIP = /\[(ci skip|skip ci)\]/i;

/** What a webhook delivery asks for: triggers, or why there are none. */
export type ForgeEvent =
  | { kind: 'triggers'; triggers: ForgeTrigger[]; repositoryUrls: string[]; eventType: string }
  | { kind: 'ignored'; reason: string; repositoryUrls: string[] };

/** Constant-time comparison of two strings. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function hmacHex(secret: string, body: Buffer | string): string {
  return crypto.createHmac('sha256', secret).update(body).digest('hex');
}

/** A branch or tag update of `ref` to `after`; undefined when it deletes the ref or is neither. */
export function refTrigger(ref: string, after: string | undefined | null): ForgeTrigger | undefined {
  if (!after || ZERO_SHA.test(after)) return undefined;
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length), revision: after };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length), revision: after };
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function urlsOf(repo: Record<string, unknown>, keys: string[]): string[] {
  return keys.map((k) => str(repo[k])).filter((u): u is string => u !== undefined);
}

const PR_ACTIONS = new Set(['opened', 'synchronize', 'synchronized', 'reopened']);

/** GitHub's and Gitea's/Forgejo's (GitHub-compatible) `push` and `pull_request` events. */
export function parseGithubLike(event: string, payload: unknown): ForgeEvent {
  const p = obj(payload);
  const repositoryUrls = urlsOf(obj(p.repository), ['clone_url', 'ssh_url', 'html_url', 'git_url', 'url']);
  if (event === 'push') {
    const ref = str(p.ref) ?? '';
    if (p.deleted === true) return { kind: 'ignored', reason: `${ref} was deleted`, repositoryUrls };
    const t = refTrigger(ref, str(p.after));
    if (!t) return { kind: 'ignored', reason: `nothing to build for ${ref || 'this push'}`, repositoryUrls };
    const message = str(obj(p.head_commit).message) ?? headMessage(p.commits, t.revision);
    return { kind: 'triggers', triggers: [{ ...t, ...(message ? { message } : {}) }], repositoryUrls, eventType: 'push' };
  }
  if (event === 'pull_request') {
    const action = str(p.action) ?? '';
    if (!PR_ACTIONS.has(action)) return { kind: 'ignored', reason: `pull request action '${action}' builds nothing`, repositoryUrls };
    const pr = obj(p.pull_request);
    const head = obj(pr.head);
    const number = p.number ?? pr.number;
    const branch = str(head.ref);
    const url = str(pr.html_url);
    if (!branch || (typeof number !== 'number' && typeof number !== 'string') || !url) return { kind: 'ignored', reason: 'incomplete pull request payload', repositoryUrls };
    return { kind: 'triggers', triggers: [{ branch, revision: str(head.sha), review: { id: String(number), url } }], repositoryUrls, eventType: 'pull_request' };
  }
  return { kind: 'ignored', reason: `event '${event || 'unknown'}' builds nothing`, repositoryUrls };
}

/** The message of the commit `sha` in a push payload's `commits`, else of its last commit. */
function headMessage(commits: unknown, sha: string | undefined): string | undefined {
  if (!Array.isArray(commits) || commits.length === 0) return undefined;
  const list = commits.map(obj);
  return str((list.find((c) => c.id === sha) ?? list[list.length - 1]!).message);
}

/** GitLab's `Push Hook`, `Tag Push Hook` and `Merge Request Hook`. */
export function parseGitlab(payload: unknown): ForgeEvent {
  const p = obj(payload);
  const project = obj(p.project);
  const repositoryUrls = [...urlsOf(project, ['git_http_url', 'git_ssh_url', 'web_url', 'http_url', 'ssh_url']), ...urlsOf(obj(p.repository), ['git_http_url', 'git_ssh_url', 'homepage', 'url'])];
  const kind = str(p.object_kind) ?? '';
  if (kind === 'push' || kind === 'tag_push') {
    const ref = str(p.ref) ?? '';
    const after = str(p.after);
    if (!after || ZERO_SHA.test(after)) return { kind: 'ignored', reason: `${ref} was deleted`, repositoryUrls };
    const t = refTrigger(ref, str(p.checkout_sha) ?? after);
    if (!t) return { kind: 'ignored', reason: `nothing to build for ${ref}`, repositoryUrls };
    const message = headMessage(p.commits, t.revision);
    return { kind: 'triggers', triggers: [{ ...t, ...(message ? { message } : {}) }], repositoryUrls, eventType: kind };
  }
  if (kind === 'merge_request') {
    const a = obj(p.object_attributes);
    const action = str(a.action) ?? '';
    if (!['open', 'reopen', 'update'].includes(action)) return { kind: 'ignored', reason: `merge request action '${action}' builds nothing`, repositoryUrls };
    const branch = str(a.source_branch);
    const url = str(a.url);
    const iid = a.iid;
    if (!branch || !url || (typeof iid !== 'number' && typeof iid !== 'string')) return { kind: 'ignored', reason: 'incomplete merge request payload', repositoryUrls };
    const last = obj(a.last_commit);
    const message = str(last.message);
    return { kind: 'triggers', triggers: [{ branch, revision: str(last.id), review: { id: String(iid), url }, ...(message ? { message } : {}) }], repositoryUrls, eventType: 'merge_request' };
  }
  return { kind: 'ignored', reason: `event '${kind || 'unknown'}' builds nothing`, repositoryUrls };
}

/** `post-receive` stdin: one `<old> <new> <ref>` line per updated ref. */
export function parsePostReceive(text: string): ForgeEvent {
  const triggers: ForgeTrigger[] = [];
  for (const line of text.split('\n')) {
    const [, after, ref] = line.trim().split(/\s+/);
    if (!after || !ref) continue;
    const t = refTrigger(ref, after);
    if (t) triggers.push(t);
  }
  if (triggers.length === 0) return { kind: 'ignored', reason: 'no branch or tag to build', repositoryUrls: [] };
  return { kind: 'triggers', triggers, repositoryUrls: [], eventType: 'push' };
}

/**
 * A repository URL reduced for comparison: scheme, credentials, `.git` and trailing
 * slashes dropped, `git@host:path` read as `host/path`, host lowercased.
 */
export function normalizeRepositoryUrl(url: string): string {
  let u = url.trim();
  const scp = /^([^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(u);
  if (scp && !/^[a-z]+:\/\//i.test(u)) u = `${scp[2]!.toLowerCase()}/${scp[3]}`;
  else {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/]+)(.*)$/i.exec(u);
    if (m) u = `${m[1]!.toLowerCase().replace(/:(22|80|443)$/, '')}${m[2]}`;
  }
  return u.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

/** Most pipelines one delivery may start. */
export const MAX_TRIGGERS_PER_DELIVERY = 20;

/**
 * Starts one pipeline per pushed ref and matching trigger of the project (each trigger runs
 * its definition's config file with its own parameters), `trigger.type = webhook`.
 */
export async function triggerForgeEvent(deps: EngineDeps, project: ProjectWithOrg, refs: ForgeTrigger[]): Promise<Pipeline[]> {
  const triggers = await forgeTriggers(deps.database.db, project.id);
  const out: Pipeline[] = [];
  for (const ref of refs) {
    for (const t of triggers) {
      if (out.length >= MAX_TRIGGERS_PER_DELIVERY) return out;
      if (!triggerFires(t, ref, project.default_branch)) continue;
      const checkout = t.checkout_ref ? refOfName(t.checkout_ref) : { branch: ref.branch, tag: ref.tag, revision: ref.revision };
      const { pipeline } = await triggerPipeline(deps, {
        project,
        actorId: null,
        triggerType: 'webhook',
        branch: checkout.branch,
        tag: checkout.tag,
        revision: checkout.revision,
        review: ref.review,
        configPath: t.config_file_path,
        configRef: t.config_ref ? refOfName(t.config_ref) : undefined,
        parameters: JSON.parse(t.parameters) as Record<string, unknown>,
      });
      out.push(pipeline);
    }
  }
  return out;
}
