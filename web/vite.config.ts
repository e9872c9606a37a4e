// Builds the dashboard (web/) into dist/web: hashed, cacheable files under assets/ and an
// index.html that the server answers every page path with. JSX compiles to Preact.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: path.resolve(here, '../dist/web'), emptyOutDir: true, target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 400 },
});
