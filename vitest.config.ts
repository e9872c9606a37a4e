import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Once per run: the PostgreSQL skip line, and dist/ rebuilt when the sources are newer.
    globalSetup: ['test/global-setup.ts', 'test/setup/build-dist.ts'],
    // After each file: the temp directories its helpers made are removed (test/setup/temp-dirs.ts).
    setupFiles: ['test/setup/temp-dirs.ts'],
    reporters: ['default'],
  },
});
