// Docker jobs end to end: a real agent claims a `docker:` job with a primary (the local base image
// tagged as circlet-test/base:<run>) and a PostgreSQL-like service container (a tiny TCP server),
// checks the repo out inside the primary and reaches the service on localhost. The tags are this
// run's own and are removed afterwards; no real image name is ever tagged.
// Needs a Docker engine and the base image (.ci/docker-setup.sh); skipped with one line without.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, CONTAINER_TOOLS, helperTools } from '../../src/agent/agent.ts';
import { silentLogger } from '../../src/agent/logger.ts';
import { CONTAINER_NODE, DockerExecutor, LABEL } from '../../src/executor/docker.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { BASE_IMAGE, dockerUnavailable, imageExists, tagBaseImage, testImage } from '../executor/docker-helpers.ts';
import { Harness } from './harness.ts';

const why = await dockerUnavailable();
if (why) console.log(`docker end-to-end tests skipped: ${why}`);

const PRIMARY = testImage('base');
const SERVICE = testImage('tcp-service');

const CONFIG = `
version: 2.1
jobs:
  build:
    docker:
      - image: ${PRIMARY}
        environment: {FROM_PRIMARY: primary-env}
      - image: ${SERVICE}
        name: db
        entrypoint: [bash, -c]
        command: ['while true; do echo "hello from $SERVICE_NAME" | nc -l -N 5432; done']
        environment: {SERVICE_NAME: postgres-like}
    resource_class: small
    steps:
      - checkout
      - run:
          name: talk to the service
          command: |
            pwd; cat README.md; echo "env=$FROM_PRIMARY"
            for i in $(seq 100); do reply=$(cat < /dev/tcp/localhost/5432 2>/dev/null) && [ -n "$reply" ] && break; sleep 0.1; done
            echo "$reply"
            getent hosts db | awk '{print "db=" $1}'
            grep -c '^VERSION_CODENAME=bookworm' /etc/os-release
      - run: {name: helper, command: 'circleci tests glob "*.md"'}
      - setup_remote_docker
      - run: {name: remote docker, command: 'docker version --format "{{.Server.Os}}"'}
workflows:
  main:
    jobs: [build]
`;

describe.skipIf(why)('docker jobs end to end', () => {
  const kind = databaseKinds()[0]!;
  let h: Harness;
  let workDir = '';
  let untag = () => {};
  beforeAll(async () => {
    workDir = tempDir('circlet-docker-e2e-');
    untag = tagBaseImage([PRIMARY, SERVICE]);
    h = await Harness.start(kind);
  });
  afterAll(async () => {
    untag();
    await h?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('runs checkout and steps in the primary container, with a service container on localhost', async () => {
    const { slug, repo } = await h.project(CONFIG);
    repo.commit({ 'README.md': 'hello from the repo\n' }, 'readme');
    // The test repo is a local path the container cannot see: the job checks out from the server.
    const helperDir = path.dirname(helperTools()['circleci']!.match(/'([^']+circleci\.mjs)'/)![1]!);
    const executor = new DockerExecutor({ workDir, mounts: { [process.execPath]: CONTAINER_NODE, [helperDir]: CONTAINER_TOOLS } });
    expect(executor.kinds).toContain('docker');
    const agent = new Agent({ url: h.server.url, token: h.runnerToken, executor, logger: silentLogger, claimWaitMs: 1_000 });
    const running = agent.start();
    try {
      const id = await h.trigger(slug);
      await h.waitDone(id, 60_000);
      const { build } = await h.jobs(id);
      const t = build.tasks[0]!;
      const step = (n: string) => Harness.step(build, n).output;
      expect(t.steps.map((s) => [s.name, s.status]), JSON.stringify(t.steps.map((s) => s.output))).toEqual([
        ['Spin up environment', 'success'],
        ['Checkout code', 'success'],
        ['talk to the service', 'success'],
        ['helper', 'success'],
        ['Setup a remote Docker engine', 'success'],
        ['remote docker', 'success'],
      ]);
      expect(step('Spin up environment')).toContain(`Primary container: ${PRIMARY}`);
      expect(step('Spin up environment')).toContain(`Service container db: ${SERVICE}`);
      const out = step('talk to the service');
      expect(out).toContain('/home/project\n');
      expect(out).toContain('hello from the repo\nenv=primary-env\nhello from postgres-like\ndb=127.0.0.1\n1\n');
      expect(step('helper')).toBe('README.md\n');
      expect(step('Setup a remote Docker engine')).toMatch(/Remote Docker engine/);
      expect(step('remote docker')).toBe('linux\n');
      expect(t.status).toBe('success');
    } finally {
      await agent.stop();
      await running.catch(() => undefined);
    }
    // Every container of the job is gone.
    expect(execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${workDir}`]).toString().trim()).toBe('');
  }, 90_000);

  it('ends a job whose image cannot be pulled as infrastructure_fail naming the image', async () => {
    const { slug } = await h.project(CONFIG.replace(PRIMARY, 'circlet-test/missing-image:1'));
    const executor = new DockerExecutor({ workDir, pullTimeoutMs: 30_000 });
    const agent = new Agent({ url: h.server.url, token: h.runnerToken, executor, logger: silentLogger, claimWaitMs: 1_000 });
    const running = agent.start();
    try {
      const id = await h.trigger(slug);
      await h.waitDone(id, 60_000);
      const t = (await h.jobs(id)).build.tasks[0]!;
      expect(t.status).toBe('infrastructure_fail');
      expect(t.message).toMatch(/circlet-test\/missing-image:1/);
    } finally {
      await agent.stop();
      await running.catch(() => undefined);
    }
  }, 90_000);

  it('removes the image tags it made, leaving the base image', () => {
    expect([imageExists(PRIMARY), imageExists(SERVICE)]).toEqual([true, true]);
    untag();
    expect([imageExists(PRIMARY), imageExists(SERVICE), imageExists(BASE_IMAGE)]).toEqual([false, false, true]);
  });
});
