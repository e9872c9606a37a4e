// Bundles the built `circlet run` (dist/cli/run.js and everything it imports, the lazily
// imported modules included) into one CommonJS file, dist/cli/run.bundle.cjs, that
// src/cli/run-bundle.ts evaluates with V8's code cache. Node 20 loads ES modules one by one
// (resolve, stat, read, compile, link) and has no compile cache for them: a local run loads
// some 860 modules, which took most of its start-up.
//
// The bundle is the same compiled code as dist/, not a second build of the sources: esbuild
// only concatenates dist/'s files. Left out, and required from node_modules at run time:
// native addons (better-sqlite3; dockerode through ssh2), what reads files beside itself
// (pino's transports run a worker file), what is large and rarely used (pg, the S3 SDK), and
// commander, which the CLI's entry has already loaded (one copy of its classes).
import fs from 'node:fs';
import path from 'node:path';

const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'dockerode', '@aws-sdk/*', '@smithy/*', 'pino', 'commander'];

/**
 * Writes dist/cli/run.bundle.cjs, after tsc (its mtime must be newer than dist/.tsbuildinfo for
 * the CLI to use it). Without esbuild (a dev dependency) it removes a stale bundle and says so:
 * `circlet run` then loads dist/ module by module, as it did before.
 */
export async function bundleRun(root) {
  const dist = path.join(root, 'dist');
  const outfile = path.join(dist, 'cli', 'run.bundle.cjs');
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    fs.rmSync(outfile, { force: true });
    console.warn('circlet build: esbuild is not installed; circlet run loads dist/ module by module (slower start)');
    return;
  }
  const result = await esbuild.build({
    entryPoints: [path.join(dist, 'cli', 'run.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Class and function names as in dist/ (error names, logs).
    keepNames: true,
    // Without comments and indentation the file is a third smaller and plain ASCII (esbuild
    // escapes the rest), which Node reads several times faster than text with a few non-ASCII
    // characters in comments: 10 ms instead of 30-80 on the development machine. Licence
    // comments go to run.bundle.cjs.LEGAL.txt beside it.
    minifyWhitespace: true,
    legalComments: 'external',
    external: EXTERNAL,
    logLevel: 'silent',
    // A module's own URL, as dist/ has it: workers, the in-job helper and createRequire find
    // the files beside that module.
    banner: { js: "const __circletModuleUrl = (file) => require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', file)).href;" },
    metafile: true,
    plugins: [
      {
        // A dynamic import() of a built-in or an external package is a require() here: the
        // bundle runs as a vm.Script, and V8 drops the import callback of a script it reads
        // from the code cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). The namespace is the
        // one import() gives (esbuild's interop in Node mode: `default` is module.exports).
        name: 'require-externals',
        setup(build) {
          const external = (name) => name.startsWith('node:') || EXTERNAL.some((e) => (e.endsWith('/*') ? name.startsWith(e.slice(0, -1)) : name === e || name.startsWith(`${e}/`)));
          build.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' && external(args.path) ? { path: args.path, namespace: 'required' } : undefined));
          build.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
        },
      },
      {
        name: 'module-url',
        setup(build) {
          build.onLoad({ filter: /\.js$/ }, async (args) => {
            if (!args.path.startsWith(dist + path.sep)) return undefined;
            const text = await fs.promises.readFile(args.path, 'utf8');
            const file = path.relative(dist, args.path).split(path.sep).join('/');
            return { contents: text.replaceAll('import.meta.url', `__circletModuleUrl(${JSON.stringify(file)})`), loader: 'js' };
          });
        },
      },
    ],
  });
  // A warning here is a module the bundle would change (import.meta in a dependency, an
  // import() esbuild cannot follow): fail the build rather than ship it.
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
  const dynamic = imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path);
  if (dynamic.length > 0) throw new Error(`circlet build: bundling circlet run: import() left in the bundle: ${dynamic.join(', ')}`);
  if (result.warnings.length > 0 || result.errors.length > 0) {
    fs.rmSync(outfile, { force: true });
    const messages = await esbuild.formatMessages([...result.errors, ...result.warnings], { kind: 'warning' });
    throw new Error(`circlet build: bundling circlet run:\n${messages.join('\n')}`);
  }
}
