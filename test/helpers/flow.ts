// The set-up pipeline tests share: a test server with a user in an organization, a runner
// token (for cloud classes, or a self-hosted class of that organization), projects on real
// git repositories, and scripted agents with the token. Used by the engine flow tests and the
// conformance suite.
import type { EngineTuning } from '../../src/server/instance.ts';
import type { ProjectWithOrg } from '../../src/storage/projects.ts';
import type { User } from '../../src/storage/users.ts';
import type { TestDatabaseKind } from './databases.ts';
import { makeRepo } from './git.ts';
import { runnerTokenFor } from './runner.ts';
import { ScriptedAgent, type ScriptedAgentOptions } from './scripted-agent.ts';
import { startTestServer, type TestServer } from './server.ts';

export interface FlowOptions {
  engine?: EngineTuning;
  /** The user (default alice), member of gh/<org> (default acme). */
  login?: string;
  org?: string;
  /** The runner token's self-hosted class (owned by the org); default cloud classes. */
  resourceClass?: string;
  runnerName?: string;
}

export interface Flow {
  server: TestServer;
  user: User;
  token: string;
  runnerToken: string;
  /** A project on a new repository whose main branch has `config`. */
  project(slug: string, config?: string): Promise<{ project: ProjectWithOrg; repo: ReturnType<typeof makeRepo> }>;
  /** A scripted agent with the flow's runner token. */
  agent(opts?: Omit<ScriptedAgentOptions, 'url' | 'token'>): ScriptedAgent;
  close(): Promise<void>;
}

/** A project `slug` on a new repository whose main branch has `config`. */
export async function repoProject(server: TestServer, slug: string, config?: string): Promise<{ project: ProjectWithOrg; repo: ReturnType<typeof makeRepo> }> {
  const repo = makeRepo(config);
  return { project: await server.project(slug, repo.dir), repo };
}

/** Builds a flow on an existing server (its user and runner token made now). */
export async function flowOn(server: TestServer, opts: Omit<FlowOptions, 'engine'> = {}): Promise<Flow> {
  const org = opts.org ?? 'acme';
  const { user, token } = await server.user(opts.login ?? 'alice', org);
  const runnerToken = await runnerTokenFor(server.database.db, opts.runnerName ?? 'test', opts.resourceClass ?? '', org);
  return {
    server,
    user,
    token,
    runnerToken,
    project: (slug, config) => repoProject(server, slug, config),
    agent: (a = {}) => new ScriptedAgent({ url: server.url, token: runnerToken, ...a }),
    close: () => server.close(),
  };
}

/** A new test server with a flow on it. */
export async function startFlow(kind: TestDatabaseKind, opts: FlowOptions = {}): Promise<Flow> {
  const server = await startTestServer(kind, opts.engine ?? {});
  try {
    return await flowOn(server, opts);
  } catch (err) {
    await server.close();
    throw err;
  }
}
