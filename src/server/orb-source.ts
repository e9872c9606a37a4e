// Where a server finds orbs: a local orb directory (CIRCLET_ORBS_DIR) first, then
// CircleCI's registry with an on-disk cache under the data dir.
import path from 'node:path';
import type { OrbSource } from '../config/index.ts';
import { chainOrbSources } from '../config/orbs/chain.ts';
import { DirectoryOrbSource } from '../config/orbs/directory.ts';
import { RegistryOrbSource } from '../config/orbs/registry.ts';

export function serverOrbSource(dataDir: string, env: NodeJS.ProcessEnv = process.env): OrbSource {
  const dir = env.CIRCLET_ORBS_DIR ? new DirectoryOrbSource(env.CIRCLET_ORBS_DIR) : undefined;
  const registry = new RegistryOrbSource({ cacheDir: path.join(dataDir, 'orbs'), baseUrl: env.CIRCLET_ORB_REGISTRY_URL || undefined });
  return chainOrbSources(dir, registry);
}
