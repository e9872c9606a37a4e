// Loads `circlet run` from dist/cli/run.bundle.cjs (scripts/bundle-run.mjs: dist/cli/run.js
// and all it imports in one CommonJS file) with V8's code cache, instead of dist/ module by
// module: on Node 20, which has no compile cache for modules, that was most of a local run's
// start-up. The code cache is made by the first run that ends (exit 0 or 1) after a build, and
// kept under `$XDG_CACHE_HOME/circlet/code/`; V8 rejects one made by another Node version or
// with other flags, and a new one is written. Falls back to dist/cli/run.js when there is no
// bundle (the sources under tsx, a build without esbuild), when it is older than the last tsc
// build (dist/.tsbuildinfo), or with CIRCLET_NO_BUNDLE=1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Command } from 'commander';
import { cacheHome } from '../run/local-state.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

type CommonJsModule = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** The bundle, when it is there and newer than the last tsc build of dist/. */
function freshBundle(env: NodeJS.ProcessEnv): { file: string; stat: fs.Stats } | undefined {
  if (env.CIRCLET_NO_BUNDLE === '1') return undefined;
  const file = path.join(here, 'run.bundle.cjs');
  try {
    const stat = fs.statSync(file);
    const built = fs.statSync(path.join(here, '..', '.tsbuildinfo'));
    return stat.mtimeMs >= built.mtimeMs ? { file, stat } : undefined;
  } catch {
    return undefined;
  }
}

const hash = (value: unknown) => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);

/**
 * Where the code cache of this bundle, this Node and these flags (NODE_OPTIONS too) is kept:
 * `run-<bundle>-<runtime>.bin`. V8 checks a cache against the source's length only, so the
 * name carries the bundle's size and mtime: a rebuilt bundle never meets the code of the one
 * before.
 */
function cachePath(bundle: fs.Stats, env: NodeJS.ProcessEnv): string {
  return path.join(cacheHome(env), 'code', `run-${hash([bundle.size, bundle.mtimeMs])}-${hash([process.version, process.arch, process.execArgv, env.NODE_OPTIONS ?? ''])}.bin`);
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes the cache (temp file, then rename: a concurrent run reads all of it or none) and drops
 * those of other bundles (the caches of this bundle under other flags or Node versions stay).
 */
function saveCache(file: string, data: Buffer): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
    const bundle = path.basename(file).split('-')[1];
    for (const name of fs.readdirSync(path.dirname(file))) {
      if (name.startsWith('run-') && name.endsWith('.bin') && name.split('-')[1] !== bundle) fs.rmSync(path.join(path.dirname(file), name), { force: true });
    }
  } catch {
    /* no cache dir to write to: the next run compiles again */
  }
}

/** The `run` command, from the bundle when there is a fresh one. */
export async function loadRunCommand(env: NodeJS.ProcessEnv = process.env): Promise<Command> {
  const bundle = freshBundle(env);
  if (!bundle) return (await import('./run.ts')).runCommand();
  const cacheFile = cachePath(bundle.stat, env);
  const cachedData = readOrUndefined(cacheFile);
  const source = fs.readFileSync(bundle.file, 'utf8');
  // (No import() callback: V8 drops it from a script read from the code cache, so the build
  // leaves no import() in the bundle.)
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle.file, cachedData });
  const module = { exports: {} as { runCommand?: () => Command } };
  (script.runInThisContext() as CommonJsModule)(module.exports, createRequire(bundle.file), module, bundle.file, path.dirname(bundle.file));
  if (typeof module.exports.runCommand !== 'function') throw new Error(`${bundle.file} does not export runCommand: run \`npm run build\``);
  const command = module.exports.runCommand();
  if (!cachedData || script.cachedDataRejected) {
    // Made at the end of a run, so it holds the functions the run compiled, not only the top
    // level: after the action returned with 0 or 1 (a run that ended), not after --help, a
    // usage or config error (2) or Ctrl-C (130), which compiled too little to keep.
    let ran = false;
    command.hook('postAction', () => {
      ran = true;
    });
    process.once('exit', (code) => {
      if (ran && (code === 0 || code === 1)) saveCache(cacheFile, script.createCachedData());
    });
  }
  return command;
}
