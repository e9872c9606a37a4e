// Runner tokens for tests: a self-hosted class is created for its organization first (a
// class belongs to one organization; a token is issued for a class that exists).
import type { Db } from '../../src/storage/executor.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createResourceClass, findResourceClass } from '../../src/storage/resource-classes.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';

/** A runner token for `resourceClass` ('' = cloud classes), the class owned by github org `org`. */
export async function runnerTokenFor(db: Db, name: string, resourceClass = '', org = 'acme'): Promise<string> {
  if (resourceClass !== '' && !(await findResourceClass(db, resourceClass))) {
    await createResourceClass(db, resourceClass, (await ensureOrganization(db, 'github', org)).id);
  }
  return createRunnerToken(db, name, resourceClass);
}
