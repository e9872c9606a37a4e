// Runs once per `vitest` run, before any test file: says once (not once per test file) that the
// PostgreSQL half of the tests is skipped. The skip itself is in test/helpers/databases.ts.
export default function setup(): void {
  if (!process.env.CIRCLET_TEST_DATABASE_URL) {
    console.warn('CIRCLET_TEST_DATABASE_URL is not set: the PostgreSQL half of the tests is skipped');
  }
}
