// Incoming git-forge webhooks (not under /api: no user token, each checks its own
// credential against the project's webhook secret):
//   POST /hooks/github  push, pull_request (X-Hub-Signature-256: sha256=<hex HMAC>)
//   POST /hooks/gitea   Gitea and Forgejo (X-Gitea-Signature / X-Forgejo-Signature: <hex HMAC>)
//   POST /hooks/gitlab  push, tag push, merge request (X-Gitlab-Token: <secret>)
//   POST /hooks/git     a plain post-receive hook's stdin (X-Circlet-Secret: <secret>)
// The project is named by `?project=<slug>` or found by the payload's repository URL. A
// branch or tag push triggers a pipeline with `trigger.type = webhook`; a deleted ref
// triggers nothing; a bad credential is a 401 and triggers nothing. The secret and the
// URLs are shown to the project's members by the circlet-only (hidden)
// `GET /api/v2/project/{slug}/incoming-webhooks`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { parseProjectSlug, slugOfProject as projectSlugOf } from '../../domain/slug.ts';
import { generateToken } from '../../domain/tokens.ts';
import {
  CI_SKIP,
  hmacHex,
  normalizeRepositoryUrl,
  parseGithubLike,
  parseGitlab,
  parsePostReceive,
  safeEqual,
  type ForgeEvent,
} from '../../engine/pipeline/forge-events.ts';
import { findProjectBySlug, getProject, type ProjectWithOrg } from '../../storage/projects.ts';
import { projectHookSecret, projectRepositories } from '../../storage/webhooks.ts';
import type { HttpDeps } from '../deps.ts';

const MAX_BODY = 5 * 1024 * 1024;
/** Largest delivery parsed before its signature is checked (one without ?project=). */
const UNSIGNED_PARSE_MAX = 1024 * 1024;

/**
 * Refuses a delivery that carries none of its route's credential headers before its body is
 * read: an anonymous 5 MB post costs the server nothing.
 */
const requireCredential =
  (...names: string[]) =>
  async (req: FastifyRequest): Promise<void> => {
    if (!names.some((n) => header(req, n) !== undefined)) throw new CircletError('WEBHOOK_SIGNATURE_MISSING', { headers: names.join(' or ') });
  };

/** Checks a delivery's credential against one project's secret. */
type Verify = (secret: string, raw: Buffer, req: FastifyRequest) => boolean;

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
};

const verifyHubSignature: Verify = (secret, raw, req) => {
  const sig = header(req, 'x-hub-signature-256');
  return sig !== undefined && safeEqual(sig.toLowerCase(), `sha256=${hmacHex(secret, raw)}`);
};

const verifyGitea: Verify = (secret, raw, req) => {
  const sig = header(req, 'x-gitea-signature') ?? header(req, 'x-forgejo-signature') ?? header(req, 'x-gogs-signature');
  if (sig !== undefined) return safeEqual(sig.toLowerCase(), hmacHex(secret, raw));
  return verifyHubSignature(secret, raw, req);
};

const verifyToken =
  (name: string): Verify =>
  (secret, _raw, req) => {
    const token = header(req, name);
    return token !== undefined && safeEqual(token, secret);
  };

/** The JSON a forge posted: a JSON body, or GitHub's form encoding (`payload=<json>`). */
function jsonOf(raw: Buffer, req: FastifyRequest): unknown {
  const text = raw.toString('utf8');
  try {
    if ((header(req, 'content-type') ?? '').includes('application/x-www-form-urlencoded')) return JSON.parse(new URLSearchParams(text).get('payload') ?? '');
    return JSON.parse(text);
  } catch {
    throw new CircletError('INVALID_JSON_BODY');
  }
}

/** The projects a delivery may be for: the one `?project=` names, else those whose repository URL matches. */

async function candidates(deps: HttpDeps, slug: string | undefined, urls: string[]): Promise<ProjectWithOrg[]> {
  if (slug) {
    const parsed = parseProjectSlug(slug);
    const project = parsed ? await findProjectBySlug(deps.database.db, parsed) : undefined;
    return project ? [project] : [];
  }
  const wanted = new Set(urls.map(normalizeRepositoryUrl));
  if (wanted.size === 0) return [];
  const ids = (await projectRepositories(deps.database.db)).filter((p) => wanted.has(normalizeRepositoryUrl(p.vcs_url))).map((p) => p.id);
  const out: ProjectWithOrg[] = [];
  for (const id of ids) {
    const p = await getProject(deps.database.db, id);
    if (p) out.push(p);
  }
  return out;
}

async function handle(deps: HttpDeps, req: FastifyRequest, reply: FastifyReply, parse: (raw: Buffer) => ForgeEvent, verify: Verify, needsSlug = false) {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const query = (req.query as { project?: unknown }).project;
  if (query !== undefined && typeof query !== 'string') throw new CircletError('WEBHOOK_PROJECT_REPEATED');
  const slug = query;
  if (needsSlug && !slug) throw new CircletError('WEBHOOK_PROJECT_MISSING');
  // With ?project= the signature is checked on the raw bytes before anything parses them.
  // Without it the project is found from the payload's repository URL, so the payload is
  // parsed first, and only when it is small.
  if (!slug && raw.length > UNSIGNED_PARSE_MAX) {
    throw new CircletError('WEBHOOK_UNSIGNED_TOO_LARGE', { mb: UNSIGNED_PARSE_MAX / 1024 / 1024 });
  }
  let event = slug ? undefined : parse(raw);
  const projects = await candidates(deps, slug, event?.repositoryUrls ?? []);
  // An unknown project answers exactly as a registered one with a wrong credential, so an
  // anonymous caller cannot learn which slugs or repository URLs exist (issue 18 item 12).
  let project: ProjectWithOrg | undefined;
  for (const p of projects) {
    if (verify(await projectHookSecret(deps.database.db, deps.secrets, p.id, generateToken), raw, req)) {
      project = p;
      break;
    }
  }
  if (!project) throw new CircletError('WEBHOOK_SIGNATURE_INVALID');
  event ??= parse(raw);
  if (event.kind === 'ignored') return reply.status(200).send({ message: `Nothing triggered: ${event.reason}`, pipelines: [] });
  const triggers = event.triggers.filter((t) => !(t.message && CI_SKIP.test(t.message)));
  if (triggers.length === 0) return reply.status(200).send({ message: 'Nothing triggered: ignoring pipeline due to CI skip in the commit', pipelines: [] });
  const pipelines = await deps.engine.triggerForgeEvent(project, triggers);
  if (pipelines.length === 0) return reply.status(200).send({ message: 'Nothing triggered: no trigger of the project matches this event', pipelines: [] });
  return reply.status(201).send({
    message: `Triggered ${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'}`,
    pipelines: pipelines.map((p) => ({ id: p.id, number: p.number, state: p.state, project_slug: projectSlugOf(project) })),
  });
}

export function forgeHookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // Signatures are over the exact bytes sent: keep bodies raw in this scope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY }, (_req, body, done) => done(null, body));
  const opts = { schema: { hide: true }, bodyLimit: MAX_BODY };
  const signed = (...names: string[]) => ({ ...opts, onRequest: requireCredential(...names) });

  app.post('/github', signed('x-hub-signature-256'), async (req, reply) =>
    handle(deps, req, reply, (raw) => parseGithubLike(header(req, 'x-github-event') ?? '', jsonOf(raw, req)), verifyHubSignature),
  );
  app.post('/gitea', signed('x-gitea-signature', 'x-forgejo-signature', 'x-gogs-signature', 'x-hub-signature-256'), async (req, reply) =>
    handle(
      deps,
      req,
      reply,
      (raw) => parseGithubLike(header(req, 'x-gitea-event') ?? header(req, 'x-forgejo-event') ?? header(req, 'x-github-event') ?? '', jsonOf(raw, req)),
      verifyGitea,
    ),
  );
  app.post('/gitlab', signed('x-gitlab-token'), async (req, reply) => handle(deps, req, reply, (raw) => parseGitlab(jsonOf(raw, req)), verifyToken('x-gitlab-token')));
  app.post('/git', signed('x-circlet-secret'), async (req, reply) => handle(deps, req, reply, (raw) => parsePostReceive(raw.toString('utf8')), verifyToken('x-circlet-secret'), true));
}
