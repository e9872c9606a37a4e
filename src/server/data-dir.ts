// Where a circlet instance keeps its data, and which database it uses.
import path from 'node:path';

export interface DataLocation {
  dataDir: string;
  databaseUrl: string;
}

/** An option or environment value; empty means unset. */
function given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * `--data-dir`, else `CIRCLET_DATA_DIR`, else `./.circlet`; `--database-url`, else
 * `DATABASE_URL`, else the SQLite file `<dataDir>/circlet.db`.
 */
export function resolveDataLocation(opts: { dataDir?: string; databaseUrl?: string }, env: NodeJS.ProcessEnv = process.env): DataLocation {
  const dataDir = path.resolve(given(opts.dataDir) ?? given(env.CIRCLET_DATA_DIR) ?? '.circlet');
  const databaseUrl = given(opts.databaseUrl) ?? given(env.DATABASE_URL) ?? path.join(dataDir, 'circlet.db');
  return { dataDir, databaseUrl };
}
