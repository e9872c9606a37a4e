// Checkout from the server: a job fetches the project from the server's mirror over git's smart
// HTTP protocol with its task's credential, so an agent needs no access to the project's git
// host; the credential is refused for other projects and once the task has ended.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { silentLogger } from '../../src/agent/logger.ts';
import { HostExecutor } from '../../src/executor/host.ts';
import { runnerTokenFor } from '../helpers/runner.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { Harness } from './harness.ts';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function lsRemote(url: string, user: string, password: string): Promise<{ ok: boolean; out: string }> {
  const header = `Authorization: ${basic(user, password)}`;
  return new Promise((resolve) => {
    execFile('git', ['-c', `http.extraHeader=${header}`, 'ls-remote', url], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: String(stdout) + String(stderr) }),
    );
  });
}

const config = (rc: string) => `
version: 2.1
jobs:
  build:
    machine: true
    resource_class: ${rc}
    steps:
      - checkout
      - run: {name: show, command: 'cat hello.txt; git remote get-url origin; git log -1 --format=%s'}
workflows: {main: {jobs: [build]}}
`;

for (const kind of databaseKinds()) {
  describe(`checkout from the server (${kind.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await Harness.start(kind);
    });
    afterAll(async () => {
      await h?.close();
    });

    it('a job checks out through the server when its agent cannot reach the origin', async () => {
      const rc = `acme/server-co-${Date.now().toString(36)}`;
      const token = await runnerTokenFor(h.server.database.db, 'server checkout', rc);
      const { slug, repo } = await h.project(config(rc));
      repo.commit({ 'hello.txt': 'from the mirror\n' }, 'second commit');
      const id = await h.trigger(slug);
      // The server fetched the commit into its mirror at the trigger; the origin then goes away.
      const origin = repo.dir;
      fs.renameSync(origin, `${origin}-gone`);
      const agent = new Agent({ url: h.server.url, token, resourceClasses: [rc], executor: new HostExecutor({ workDir: tempDir('circlet-co-work-') }), logger: silentLogger, claimWaitMs: 1_000 });
      const running = agent.start();
      try {
        await h.waitDone(id);
      } finally {
        await agent.stop();
        await running.catch(() => undefined);
        fs.renameSync(`${origin}-gone`, origin);
      }
      const { build } = await h.jobs(id);
      expect(build.status, JSON.stringify(build)).toBe('success');
      expect(Harness.step(build, 'Checkout code').output).toContain(`Checking out ${origin} at `);
      // The clone's origin is the project's URL, as on CircleCI.
      expect(Harness.step(build, 'show').output).toBe(`from the mirror\n${origin}\nsecond commit\n`);
    });

    it("a task's id and credential fetch its own project while the task runs, and nothing else", async () => {
      const rc = `acme/cred-${Date.now().toString(36)}`;
      const token = await runnerTokenFor(h.server.database.db, 'scripted', rc);
      await runnerTokenFor(h.server.database.db, 'scripted other', `${rc}-other`);
      const mine = await h.project(config(rc));
      const other = await h.project(config(`${rc}-other`));
      const myId = await h.trigger(mine.slug);
      await h.trigger(other.slug);
      const projectId = async (slug: string) => (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body.id as string;
      const [mineId, otherId] = [await projectId(mine.slug), await projectId(other.slug)];
      const scripted = new ScriptedAgent({ url: h.server.url, token, executors: ['machine'] });
      const task = await h.waitFor(() => scripted.claim(1_000), 15_000, 'a claim');
      // The task credential of the claim is what a job checks out with, its task id the user name.
      const { id: taskId, credential } = task.task as { id: string; credential: string };
      expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const url = (pid: string) => `${h.server.url}/git/${pid}.git`;
      const own = await lsRemote(url(mineId), taskId, credential);
      expect(own.ok, own.out).toBe(true);
      expect(own.out).toMatch(/^[0-9a-f]{40}\trefs\/heads\/main$/m);
      // Another project, a forged credential, another task's id, no credential: all refused alike.
      const forged = credential.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      const elsewhere = '00000000-0000-4000-8000-000000000000';
      for (const [pid, user, pw] of [[otherId, taskId, credential], [mineId, taskId, forged], [mineId, elsewhere, credential], [mineId, taskId, '']] as const) {
        const res = await lsRemote(url(pid), user, pw);
        expect(res.ok).toBe(false);
        expect(res.out).toMatch(/401|Authentication failed|could not read/i);
      }
      const raw = await fetch(`${url(otherId)}/info/refs?service=git-upload-pack`, { headers: { authorization: basic(taskId, credential) } });
      expect(raw.status).toBe(401);
      expect(await raw.json()).toEqual({ message: expect.stringMatching(/credential/) });
      // Pushing is never served.
      const push = await fetch(`${url(mineId)}/info/refs?service=git-receive-pack`, { headers: { authorization: basic(taskId, credential) } });
      expect(push.status).toBe(403);

      await scripted.finish(task, 'success');
      await h.waitDone(myId);
      const after = await lsRemote(url(mineId), taskId, credential);
      expect(after.ok).toBe(false);
    });
  });
}
