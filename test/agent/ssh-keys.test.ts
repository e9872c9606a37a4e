// Additional SSH keys end to end: added through v1.1 `POST …/ssh-key`, installed by a real
// job's `add_ssh_keys` step (all of them, or those a fingerprint names) for their hostname,
// with a fingerprint the project does not hold named; deleted keys no longer reach jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { generateSshKeyPair } from '../../src/domain/ssh-keys.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { Harness } from './harness.ts';

const CONFIG = (fingerprints: string[]) => `
version: 2.1
jobs:
  deploy:
    machine: true
    steps:
      - add_ssh_keys${fingerprints.length ? `: {fingerprints: [${fingerprints.map((f) => `"${f}"`).join(', ')}]}` : ''}
      - run: {name: leak, command: 'cat ~/.ssh/id_rsa_* 2>/dev/null | head -3 || true'}
      - run:
          name: show
          command: |
            shopt -s nullglob
            for f in ~/.ssh/id_rsa_*; do echo "$(basename $f) $(head -c 35 $f)"; done
            if [ -f ~/.ssh/config ]; then grep -A1 '^Host ' ~/.ssh/config | grep -v '^--' | tr -s ' ' | tr '\\n' '|'; fi
workflows: {main: {jobs: [deploy]}}
`;

for (const kind of databaseKinds()) {
  describe(`add_ssh_keys with the project's additional SSH keys (${kind.name})`, () => {
    let h: Harness;
    let embedded: EmbeddedAgent;
    const one = generateSshKeyPair('one');
    const two = generateSshKeyPair('two');
    beforeAll(async () => {
      h = await Harness.start(kind);
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger });
    });
    afterAll(async () => {
      await embedded?.stop(0);
      await h?.close();
    });

    const run = async (fingerprints: string[]) => {
      const { slug } = await h.project(CONFIG(fingerprints));
      const v1 = `/api/v1.1/project/${slug.replace(/^gh\//, 'github/')}`;
      for (const [host, pair] of [['one.example.com', one], ['two.example.com', two]] as const) {
        const r = await h.server.call('POST', `${v1}/ssh-key`, h.token, { hostname: host, private_key: pair.privateKey });
        expect(r.status).toBe(200);
      }
      return { v1, slug };
    };
    let lastPipeline = '';
    const output = async (slug: string) => {
      const id = await h.trigger(slug);
      lastPipeline = id;
      await h.waitDone(id, 60_000);
      const { deploy } = await h.jobs(id);
      expect(deploy!.status, JSON.stringify(deploy!.tasks[0]!.steps)).toBe('success');
      return { install: deploy!.tasks[0]!.steps[1]!.output, show: Harness.step(deploy!, 'show').output };
    };
    const file = (fp: string) => `id_rsa_${fp.replace(/:/g, '')}`;

    it('installs every key for its host when no fingerprint is named', async () => {
      const { slug } = await run([]);
      const { show } = await output(slug);
      expect(show).toContain(`${file(one.fingerprintMd5)} ********`); // the private key is masked, line by line
      expect(show).toContain(`${file(two.fingerprintMd5)} ********`); // the private key is masked, line by line
      expect(show).toMatch(new RegExp(`Host one\\.example\\.com\\| IdentityFile \\S+/${file(one.fingerprintMd5)}\\|`));
      expect(Harness.step((await h.jobs(lastPipeline)).deploy!, 'leak').output).not.toContain(one.privateKey.split('\n')[1]!);
      expect(show).toMatch(new RegExp(`Host two\\.example\\.com\\| IdentityFile \\S+/${file(two.fingerprintMd5)}\\|`));
    });

    it('installs only the named keys (MD5 or SHA-256 form), names an unknown one, and drops a deleted key', async () => {
      const { slug, v1 } = await run([`MD5:${one.fingerprintMd5}`, 'SHA256:nope']);
      let { install, show } = await output(slug);
      expect(show).toContain(file(one.fingerprintMd5));
      expect(show).not.toContain(file(two.fingerprintMd5));
      expect(install).toContain('this project holds no SSH key with fingerprint SHA256:nope');
      expect(install).not.toContain('PRIVATE KEY');

      const del = await h.server.call('DELETE', `${v1}/ssh-key`, h.token, { fingerprint: one.fingerprintSha256, hostname: 'one.example.com' });
      expect(del.status).toBe(200);
      ({ install, show } = await output(slug));
      expect(show).not.toContain(file(one.fingerprintMd5));
      expect(install).toContain(`this project holds no SSH key with fingerprint ${one.fingerprintMd5}`);
    });
  });
}
