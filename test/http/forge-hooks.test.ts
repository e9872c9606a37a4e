// Incoming git-forge webhooks over real HTTP, on real git repositories: GitHub, Gitea and
// Forgejo, GitLab, and the shipped post-receive hook in a bare repository.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeRepositoryUrl, parseGithubLike, parseGitlab, parsePostReceive, refTrigger } from '../../src/engine/pipeline/forge-events.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CONFIG = 'version: 2.1\njobs:\n  build:\n    machine: true\n    steps: [{run: echo hi}]\nworkflows:\n  main:\n    jobs: [build]\n';
const ZERO = '0000000000000000000000000000000000000000';
const run = promisify(execFile);
const hmac = (secret: string, body: string) => crypto.createHmac('sha256', secret).update(body).digest('hex');

describe('forge payload parsing', () => {
  it('normalizes repository URLs', () => {
    expect(normalizeRepositoryUrl('https://GitHub.com/acme/app.git')).toBe('github.com/acme/app');
    expect(normalizeRepositoryUrl('git@github.com:acme/app.git')).toBe('github.com/acme/app');
    expect(normalizeRepositoryUrl('ssh://git@github.com:22/acme/app')).toBe('github.com/acme/app');
    expect(normalizeRepositoryUrl('https://user:pw@gitea.example.com/acme/app/')).toBe('gitea.example.com/acme/app');
    expect(normalizeRepositoryUrl('/srv/git/app.git')).toBe('/srv/git/app');
  });

  it('reads refs, deletions and pull requests', () => {
    expect(refTrigger('refs/heads/main', 'abc')).toEqual({ branch: 'main', revision: 'abc' });
    expect(refTrigger('refs/tags/v1', 'abc')).toEqual({ tag: 'v1', revision: 'abc' });
    expect(refTrigger('refs/heads/main', ZERO)).toBeUndefined();
    expect(refTrigger('refs/notes/x', 'abc')).toBeUndefined();
    expect(parseGithubLike('push', { ref: 'refs/heads/x', after: ZERO, deleted: true }).kind).toBe('ignored');
    expect(parseGithubLike('pull_request', { action: 'closed', number: 1, pull_request: {} }).kind).toBe('ignored');
    expect(parseGithubLike('issues', {}).kind).toBe('ignored');
    expect(parseGitlab({ object_kind: 'push', ref: 'refs/heads/x', after: ZERO, checkout_sha: null }).kind).toBe('ignored');
    expect(parseGitlab({ object_kind: 'merge_request', object_attributes: { action: 'open', iid: 7, url: 'https://gl/mr/7', source_branch: 'f', last_commit: { id: 'abc' } } })).toMatchObject({
      kind: 'triggers',
      triggers: [{ branch: 'f', revision: 'abc', review: { id: '7', url: 'https://gl/mr/7' } }],
    });
    expect(parsePostReceive(`${ZERO} abc refs/heads/a\nabc ${ZERO} refs/heads/b\nabc def refs/tags/t\n`)).toMatchObject({
      kind: 'triggers',
      triggers: [{ branch: 'a', revision: 'abc' }, { tag: 't', revision: 'def' }],
    });
  });
});

for (const kind of databaseKinds()) {
  describe(`git-forge webhooks (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let repo: TestRepo;
    let secret: string;
    const slug = 'gh/acme/forge';

    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      repo = makeRepo(CONFIG);
      repo.commit({ '.circleci/config.yml': CONFIG }, 'initial');
      await server.project(slug, repo.dir);
      const info = await server.call('GET', `/api/v2/project/${slug}/incoming-webhooks`, token);
      expect(info.status, info.text).toBe(200);
      secret = info.body.secret;
      expect(secret).toMatch(/^[0-9a-f]{40}$/);
      expect(info.body.urls.github).toBe(`${server.url}/hooks/github?project=${encodeURIComponent(slug)}`);
    });
    afterAll(async () => server?.close());

    const pipelines = async () => (await server.call('GET', `/api/v2/project/${slug}/pipeline`, token)).body.items as any[];
    const post = (route: string, body: string, headers: Record<string, string>) => server.call('POST', route, undefined, body, { 'content-type': 'application/json', ...headers });

    it('hides the secret from non-members and keeps it stable', async () => {
      const other = await server.user('mallory', 'other');
      expect((await server.call('GET', `/api/v2/project/${slug}/incoming-webhooks`, other.token)).status).toBe(404);
      expect((await server.call('GET', `/api/v2/project/${slug}/incoming-webhooks`, token)).body.secret).toBe(secret);
    });

    it('GitHub push of a new branch triggers its pipeline at the pushed revision', async () => {
      repo.branch('feature-gh');
      const sha = repo.commit({ 'a.txt': 'a' }, 'feature work');
      repo.checkout('main');
      const body = JSON.stringify({ ref: 'refs/heads/feature-gh', before: ZERO, after: sha, created: true, deleted: false, repository: { clone_url: 'https://github.com/acme/forge.git' } });
      const res = await post(`/hooks/github?project=${slug}`, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(secret, body)}` });
      expect(res.status, res.text).toBe(201);
      expect(res.body.pipelines).toHaveLength(1);
      const p = (await server.call('GET', `/api/v2/pipeline/${res.body.pipelines[0].id}`, token)).body;
      expect(p.state).toBe('created');
      expect(p.trigger.type).toBe('webhook');
      expect(p.vcs).toMatchObject({ branch: 'feature-gh', revision: sha });
    });

    it('a bad signature is a 401 and triggers nothing', async () => {
      const before = (await pipelines()).length;
      const body = JSON.stringify({ ref: 'refs/heads/main', after: repo.git('rev-parse', 'HEAD') });
      const wrong = await post(`/hooks/github?project=${slug}`, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac('not-the-secret', body)}` });
      expect(wrong.status).toBe(401);
      expect(wrong.body.message).toBeTypeOf('string');
      const missing = await post(`/hooks/github?project=${slug}`, body, { 'x-github-event': 'push' });
      expect(missing.status).toBe(401);
      const gitlab = await post(`/hooks/gitlab?project=${slug}`, JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', after: 'x' }), { 'x-gitlab-token': 'nope' });
      expect(gitlab.status).toBe(401);
      expect((await pipelines()).length).toBe(before);
    });

    it('a deleted branch triggers nothing', async () => {
      const before = (await pipelines()).length;
      const body = JSON.stringify({ ref: 'refs/heads/gone', before: repo.git('rev-parse', 'HEAD'), after: ZERO, deleted: true });
      const res = await post(`/hooks/github?project=${slug}`, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(secret, body)}` });
      expect(res.status, res.text).toBe(200);
      expect(res.body.pipelines).toEqual([]);
      expect((await pipelines()).length).toBe(before);
    });

    it('[ci skip] in the head commit triggers nothing', async () => {
      const before = (await pipelines()).length;
      const sha = repo.git('rev-parse', 'HEAD');
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, head_commit: { id: sha, message: 'docs only [ci skip]' } });
      const res = await post(`/hooks/github?project=${slug}`, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(secret, body)}` });
      expect(res.status, res.text).toBe(200);
      expect(res.body.message).toMatch(/CI skip/);
      const gl = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', after: sha, checkout_sha: sha, commits: [{ id: sha, message: 'x [skip ci]' }] });
      expect((await post(`/hooks/gitlab?project=${slug}`, gl, { 'x-gitlab-token': secret })).status).toBe(200);
      expect((await pipelines()).length).toBe(before);
    });

    it('a GitHub pull request fills review_id, review_url and CIRCLE_PULL_REQUEST', async () => {
      repo.branch('pr-branch');
      const sha = repo.commit({ 'pr.txt': 'pr' }, 'pr work');
      repo.checkout('main');
      const url = 'https://github.com/acme/forge/pull/42';
      const body = JSON.stringify({ action: 'opened', number: 42, pull_request: { number: 42, html_url: url, head: { ref: 'pr-branch', sha } }, repository: { clone_url: repo.dir } });
      // No ?project=: the project is found by its repository URL.
      const res = await post('/hooks/github', body, { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${hmac(secret, body)}` });
      expect(res.status, res.text).toBe(201);
      const p = (await server.call('GET', `/api/v2/pipeline/${res.body.pipelines[0].id}`, token)).body;
      expect(p.trigger.type).toBe('webhook');
      expect(p.vcs).toMatchObject({ branch: 'pr-branch', revision: sha, review_id: '42', review_url: url });
      const agent = new ScriptedAgent({ url: server.url, token: await createRunnerToken(server.database.db, 'pr') });
      const ran = await agent.drain();
      const mine = ran.find((t) => t.pipeline.id === p.id)!;
      expect(mine.environment.CIRCLE_PULL_REQUEST).toBe(url);
      expect(mine.environment.CIRCLE_PR_NUMBER).toBe('42');
    });

    it('Gitea and Forgejo tag and branch pushes', async () => {
      repo.tag('v1.0.0');
      const tagSha = repo.git('rev-parse', 'v1.0.0');
      const body = JSON.stringify({ ref: 'refs/tags/v1.0.0', before: ZERO, after: tagSha, repository: { clone_url: 'https://gitea.example.com/acme/forge.git' } });
      const res = await post(`/hooks/gitea?project=${slug}`, body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(secret, body) });
      expect(res.status, res.text).toBe(201);
      const p = (await server.call('GET', `/api/v2/pipeline/${res.body.pipelines[0].id}`, token)).body;
      expect(p.vcs).toMatchObject({ tag: 'v1.0.0', revision: tagSha });
      expect(p.trigger.type).toBe('webhook');

      const head = repo.git('rev-parse', 'HEAD');
      const fj = JSON.stringify({ ref: 'refs/heads/main', before: ZERO, after: head });
      const ok = await post(`/hooks/gitea?project=${slug}`, fj, { 'x-forgejo-event': 'push', 'x-forgejo-signature': hmac(secret, fj) });
      expect(ok.status, ok.text).toBe(201);
      const bad = await post(`/hooks/gitea?project=${slug}`, fj, { 'x-forgejo-event': 'push', 'x-forgejo-signature': hmac('x', fj) });
      expect(bad.status).toBe(401);
    });

    it('GitLab pushes and merge requests with X-Gitlab-Token', async () => {
      repo.branch('mr-branch');
      const sha = repo.commit({ 'mr.txt': 'mr' }, 'mr work');
      repo.checkout('main');
      const push = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/mr-branch', before: ZERO, after: sha, checkout_sha: sha, project: { git_http_url: 'https://gitlab.example.com/acme/forge.git' } });
      const r1 = await post(`/hooks/gitlab?project=${slug}`, push, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret });
      expect(r1.status, r1.text).toBe(201);
      const mr = JSON.stringify({ object_kind: 'merge_request', object_attributes: { action: 'open', iid: 3, url: 'https://gitlab.example.com/acme/forge/-/merge_requests/3', source_branch: 'mr-branch', last_commit: { id: sha } } });
      const r2 = await post(`/hooks/gitlab?project=${slug}`, mr, { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': secret });
      expect(r2.status, r2.text).toBe(201);
      const p = (await server.call('GET', `/api/v2/pipeline/${r2.body.pipelines[0].id}`, token)).body;
      expect(p.vcs).toMatchObject({ branch: 'mr-branch', revision: sha, review_id: '3' });
    });

    it('an unknown project answers as a registered one with a wrong credential (issue 18 item 12)', async () => {
      const answer = async (path: string, body: string, headers: Record<string, string>) => {
        const res = await post(path, body, headers);
        return `${res.status} ${res.text}`;
      };
      const push = (cloneUrl: string) => JSON.stringify({ ref: 'refs/heads/main', after: 'abc', repository: { clone_url: cloneUrl } });
      const forged = { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' };
      // By ?project=: a registered slug and an unknown one, each with a forged signature.
      const known = await answer(`/hooks/github?project=${slug}`, push(repo.dir), forged);
      expect(known).toMatch(/^401 /);
      expect(await answer('/hooks/github?project=gh/acme/missing', push(repo.dir), forged)).toBe(known);
      for (const [route, headers] of [
        ['gitea', { 'x-gitea-event': 'push', 'x-gitea-signature': '00' }],
        ['gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'x' }],
        ['git', { 'x-circlet-secret': 'x' }],
      ] as const) {
        const body = route === 'git' ? '0 1 refs/heads/main\n' : push(repo.dir);
        expect(await answer(`/hooks/${route}?project=gh/acme/missing`, body, headers), route).toBe(await answer(`/hooks/${route}?project=${slug}`, body, headers));
      }
      // By the payload's clone_url: a registered repository and an unknown one.
      expect(await answer('/hooks/github', push('https://github.com/nobody/nothing.git'), forged)).toBe(await answer('/hooks/github', push(repo.dir), forged));
      // No signature header at all: refused before the body is read, whatever the project.
      expect((await post('/hooks/github?project=gh/acme/missing', push(repo.dir), { 'x-github-event': 'push' })).status).toBe(401);
    });

    it('a repeated ?project= is a 400 on every receiver, not a 500 (issue 18 item 8)', async () => {
      for (const route of ['github', 'gitea', 'gitlab', 'git']) {
        const res = await post(`/hooks/${route}?project=a&project=b`, '{}', { 'x-hub-signature-256': 'sha256=00', 'x-gitea-signature': '00', 'x-gitlab-token': 'x', 'x-circlet-secret': 'x' });
        expect(res.status, route).toBe(400);
        expect(res.text).toMatch(/project/);
      }
    });

    it('the shipped post-receive hook triggers pipelines for pushed branches and tags', async () => {
      // A bare repository is the project's repository; the hook runs in it on push.
      const root = tempDir('circlet-bare-');
      const bare = path.join(root, 'app.git');
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
      const hook = path.join(bare, 'hooks', 'post-receive');
      fs.copyFileSync(path.resolve('docs/post-receive-hook.sh'), hook);
      fs.chmodSync(hook, 0o755);
      await server.project('gh/acme/bare', bare);
      const info = (await server.call('GET', '/api/v2/project/gh/acme/bare/incoming-webhooks', token)).body;
      const cfg = (k: string, v: string) => execFileSync('git', ['config', k, v], { cwd: bare });
      cfg('circlet.url', server.url);
      cfg('circlet.project', 'gh/acme/bare');
      cfg('circlet.secret', info.secret);

      const work = makeRepo(CONFIG);
      work.commit({ '.circleci/config.yml': CONFIG }, 'initial');
      work.git('remote', 'add', 'origin', bare);
      // Pushed asynchronously: the hook calls back into this process's server.
      const push = (...args: string[]) => run('git', ['push', '-q', 'origin', ...args], { cwd: work.dir });
      await push('main');
      work.branch('topic');
      const topic = work.commit({ 't.txt': 't' }, 'topic');
      work.tag('v2');
      await push('topic', 'v2');
      await push('--delete', 'topic');

      const items = (await server.call('GET', '/api/v2/project/gh/acme/bare/pipeline', token)).body.items as any[];
      const refs = items.map((p) => [p.trigger.type, p.vcs.branch ?? `tag:${p.vcs.tag}`, p.vcs.revision]).sort();
      expect(refs).toEqual(
        [
          ['webhook', 'main', work.git('rev-parse', 'main')],
          ['webhook', 'tag:v2', topic],
          ['webhook', 'topic', topic],
        ].sort(),
      );
      expect(items.every((p) => p.state === 'created')).toBe(true);

      // A wrong secret is refused.
      cfg('circlet.secret', 'wrong');
      work.commit({ 'u.txt': 'u' }, 'more');
      const { stderr } = await push('HEAD:refs/heads/other');
      expect(stderr).toContain('circlet: could not notify');
      expect(((await server.call('GET', '/api/v2/project/gh/acme/bare/pipeline', token)).body.items as any[]).length).toBe(3);
      fs.rmSync(root, { recursive: true, force: true });
    });
  });
}
