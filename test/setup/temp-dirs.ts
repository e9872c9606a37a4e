// Tests leave the machine as they found it: after each test file, the temp directories made
// through `tempDir` (test/helpers/databases.ts) that the file did not remove itself are removed.
// Registered first, this afterAll runs after the file's own (vitest runs after-hooks as a stack).
import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/databases.ts';

afterAll(() => {
  removeTempDirs();
});
