// A job harness (test/agent/harness.ts) with a real embedded agent running its jobs, and a
// scratch directory the jobs write to: the set-up of the end-to-end tests of job features
// (OIDC tokens, deploys).
import fs from 'node:fs';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { Harness } from '../agent/harness.ts';
import { tempDir, type TestDatabaseKind } from './databases.ts';

export interface EmbeddedHarness {
  h: Harness;
  /** A directory for the jobs' files, removed by close(). */
  out: string;
  close(): Promise<void>;
}

export async function startEmbeddedHarness(kind: TestDatabaseKind, outPrefix = 'circlet-job-out-'): Promise<EmbeddedHarness> {
  const h = await Harness.start(kind);
  const embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger }).catch(async (err: unknown) => {
    await h.close();
    throw err;
  });
  const out = tempDir(outPrefix);
  return {
    h,
    out,
    async close() {
      await embedded.stop(0);
      await h.close();
      fs.rmSync(out, { recursive: true, force: true });
    },
  };
}
