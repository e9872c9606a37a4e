// Where a circlet instance keeps its data, and which database it uses.
import path from 'node:path';

export interface DataLocation {
  dataDir: string;
  databaseUrl: string;
}

export function resolveDataLocation(opts: { dataDir?: string; databaseUrl?: string }, env: NodeJS.ProcessEnv = process.env): DataLocation {
  const dataDir = path.resolve(opts.dataDir ?? env.CIRCLET_DATA_DIR ?? '.circlet');
  const databaseUrl = opts.databaseUrl ?? env.DATABASE_URL ?? path.join(dataDir, 'circlet.db');
  return { dataDir, databaseUrl };
}
