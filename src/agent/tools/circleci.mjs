// The `circleci` / `circleci-agent` commands inside jobs run by circlet's agent:
//   circleci tests glob PATTERN...                     files matching the patterns
//   circleci tests split [--split-by=name|filesize|timings] [--total=N] [--index=I] [FILE]
//   circleci tests run --command=CMD [--split-by=...]  runs CMD with this node's share on stdin
//   circleci env subst                                 expands $VAR / ${VAR} in stdin
//   circleci run oidc get [--claims JSON]              an OIDC token for this job, with extra claims
//   circleci run release plan|update|log ...           records a deployment (docs/deploys.md)
//   circleci-agent step halt                           ends the job successfully after this step
// Plain Node (no dependencies): the agent installs a small sh wrapper for it on PATH.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const [, , tool, ...argv] = process.argv;

function die(msg, code = 1) {
  process.stderr.write(`${tool}: ${msg}\n`);
  process.exit(code);
}

/** Parses `--name=value`, `--name value` and `--flag`; the rest are positional. */
function parseArgs(args, flags = []) {
  const opts = {};
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) opts[a.slice(2, eq)] = a.slice(eq + 1);
      else if (flags.includes(a.slice(2))) opts[a.slice(2)] = true;
      else if (i + 1 < args.length) opts[a.slice(2)] = args[++i];
      else die(`missing value for ${a}`);
    } else rest.push(a);
  }
  return { opts, rest };
}

function readStdin() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

// --- glob -------------------------------------------------------------------------------

function splitBraces(s) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function globToRegExpSource(p) {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*') {
      if (p[i + 1] === '*') {
        const slash = p[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let body = p.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      let depth = 0;
      let end = -1;
      for (let j = i; j < p.length; j++) {
        if (p[j] === '{') depth++;
        if (p[j] === '}' && --depth === 0) {
          end = j;
          break;
        }
      }
      if (end < 0) out += '\\{';
      else {
        out += `(?:${splitBraces(p.slice(i + 1, end)).map(globToRegExpSource).join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return out;
}

function walk(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = dir === '.' ? e.name : path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

function glob(patterns) {
  const found = new Set();
  for (const pattern of patterns) {
    const magic = pattern.search(/[*?[{]/);
    if (magic < 0) {
      if (fs.existsSync(pattern)) found.add(pattern);
      continue;
    }
    const slash = pattern.lastIndexOf('/', magic);
    const base = slash < 0 ? '.' : pattern.slice(0, slash) || '/';
    const re = new RegExp(`^${globToRegExpSource(pattern)}$`);
    const files = [];
    walk(base, files);
    for (const f of files) if (re.test(f)) found.add(f);
  }
  return [...found].sort();
}

// --- split ------------------------------------------------------------------------------

function nodeOf(opts) {
  const total = Number(opts.total ?? process.env.CIRCLE_NODE_TOTAL ?? 1);
  const index = Number(opts.index ?? process.env.CIRCLE_NODE_INDEX ?? 0);
  if (!Number.isInteger(total) || total < 1) die(`invalid total ${opts.total}`);
  if (!Number.isInteger(index) || index < 0 || index >= total) die(`invalid index ${index} (total ${total})`);
  return { total, index };
}

/** Greedy: heaviest first, each into the lightest bucket. */
function byWeight(items, weight, total) {
  const buckets = Array.from({ length: total }, () => ({ load: 0, items: [] }));
  const sorted = [...items].sort((a, b) => weight(b) - weight(a) || (a < b ? -1 : a > b ? 1 : 0));
  for (const it of sorted) {
    let best = buckets[0];
    for (const b of buckets) if (b.load < best.load) best = b;
    best.items.push(it);
    best.load += weight(it);
  }
  return buckets.map((b) => b.items.sort());
}

/** Timing data: `$CIRCLE_INTERNAL_TASK_DATA/test-timings.json` ({ "file or test": seconds }), when the agent put it there. */
function loadTimings() {
  const dir = process.env.CIRCLE_INTERNAL_TASK_DATA;
  if (!dir) return undefined;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'test-timings.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function split(items, by, total, index) {
  const uniq = [...new Set(items)];
  if (by === 'name') {
    const sorted = uniq.sort();
    return sorted.filter((_, i) => i % total === index);
  }
  if (by === 'filesize') {
    const size = (f) => {
      try {
        return fs.statSync(f).size;
      } catch {
        return 0;
      }
    };
    const sizes = new Map(uniq.map((f) => [f, size(f)]));
    return byWeight(uniq, (f) => sizes.get(f), total)[index];
  }
  if (by === 'timings') {
    const timings = loadTimings();
    if (!timings) {
      process.stderr.write('No timing data found (no stored test results for this project yet); splitting by name.\n');
      return split(uniq, 'name', total, index);
    }
    // Stored file names have no leading ./ (the agent normalises them); items may.
    const timingOf = (f) => {
      const t = timings[f] ?? timings[f.replace(/^(\.\/)+/, '')];
      return typeof t === 'number' ? t : undefined;
    };
    const known = uniq.map(timingOf).filter((t) => t !== undefined);
    const avg = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    for (const f of uniq) if (timingOf(f) === undefined) process.stderr.write(`No timing found for "${f}"\n`);
    return byWeight(uniq, (f) => timingOf(f) ?? avg, total)[index];
  }
  die(`unknown --split-by=${by} (use name, filesize or timings)`);
}

function readItems(rest) {
  const text = rest.length > 0 ? rest.map((f) => fs.readFileSync(f, 'utf8')).join('\n') : readStdin();
  return text.split(/\s+/).filter(Boolean);
}

// --- main -------------------------------------------------------------------------------

function tests(args) {
  const [sub, ...more] = args;
  if (sub === 'glob') {
    if (more.length === 0) die('tests glob needs at least one pattern');
    const files = glob(more);
    if (files.length > 0) process.stdout.write(files.join('\n') + '\n');
    return 0;
  }
  if (sub === 'split') {
    const { opts, rest } = parseArgs(more, ['show-counts', 'verbose']);
    const { total, index } = nodeOf(opts);
    const mine = split(readItems(rest), opts['split-by'] ?? 'name', total, index);
    if (opts['show-counts']) process.stderr.write(`node ${index}: ${mine.length} item(s)\n`);
    if (mine.length > 0) process.stdout.write(mine.join('\n') + '\n');
    return 0;
  }
  if (sub === 'run') {
    const { opts } = parseArgs(more, ['verbose']);
    if (!opts.command) die('tests run needs --command');
    const { total, index } = nodeOf(opts);
    const mine = split(readItems([]), opts['split-by'] ?? 'name', total, index);
    if (opts.verbose) process.stderr.write(`Running ${opts.command} with ${mine.length} item(s)\n`);
    const r = spawnSync(process.env.SHELL && fs.existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh', ['-c', opts.command], {
      input: mine.join('\n') + (mine.length > 0 ? '\n' : ''),
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    return r.status ?? 1;
  }
  die(`unknown command: tests ${sub ?? ''} (use glob, split or run)`);
}

function step(args) {
  if (args[0] !== 'halt') die(`unknown command: step ${args[0] ?? ''} (use halt)`);
  const dir = process.env.CIRCLE_INTERNAL_TASK_DATA;
  if (!dir) die('not inside a circlet job (CIRCLE_INTERNAL_TASK_DATA is not set)');
  fs.writeFileSync(path.join(dir, 'halt'), '');
  return 0;
}

function env(args) {
  if (args[0] !== 'subst') die(`unknown command: env ${args[0] ?? ''} (use subst)`);
  const text = args.length > 1 ? args.slice(1).join(' ') : readStdin();
  process.stdout.write(text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a, b) => process.env[a ?? b] ?? ''));
  return 0;
}

// --- run: calls to the server as this task ----------------------------------------------

/** The server URL, task id and credential the agent left for this task (http/runner/job.ts). */
function jobApi() {
  const dir = process.env.CIRCLE_INTERNAL_TASK_DATA;
  if (!dir) die('not inside a circlet job (CIRCLE_INTERNAL_TASK_DATA is not set)');
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'job-api.json'), 'utf8'));
  } catch {
    die('this job has no server connection details (is the agent older than the helper?)');
  }
}

async function callServer(route, body) {
  const api = jobApi();
  const auth = Buffer.from(`${api.task_id}:${api.credential}`).toString('base64');
  let res;
  try {
    res = await fetch(`${api.url}${route}`, { method: 'POST', headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    die(`could not reach the circlet server at ${api.url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) die(`the server refused: ${res.status} ${json?.message ?? text}`);
  return json;
}

async function oidc(args) {
  if (args[0] !== 'get') die(`unknown command: run oidc ${args[0] ?? ''} (use get)`);
  const { opts } = parseArgs(args.slice(1));
  let claims = {};
  if (opts.claims !== undefined) {
    try {
      claims = JSON.parse(opts.claims);
    } catch {
      die('--claims must be a JSON object');
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) die('--claims must be a JSON object');
  }
  const { token } = await callServer('/oidc-token', { claims });
  process.stdout.write(token + '\n');
  return 0;
}

const RELEASE_FLAGS = { 'environment-name': 'environment_name', 'component-name': 'component_name', 'target-version': 'target_version', namespace: 'namespace', status: 'status', 'failure-reason': 'failure_reason' };

async function release(args) {
  const [action, ...more] = args;
  if (!['plan', 'update', 'log'].includes(action)) die(`unknown command: run release ${action ?? ''} (use plan, update or log)`);
  const { opts } = parseArgs(more);
  const body = { action };
  for (const [flag, field] of Object.entries(RELEASE_FLAGS)) if (opts[flag] !== undefined) body[field] = opts[flag];
  const out = await callServer('/releases', body);
  process.stdout.write(`${out.message}\n`);
  return 0;
}

async function run(args) {
  const [sub, ...more] = args;
  if (sub === 'oidc') return oidc(more);
  if (sub === 'release') return release(more);
  die(`unknown command: run ${sub ?? ''} (use oidc or release)`);
}

function main() {
  const [cmd, ...args] = argv;
  if (tool === 'circleci-agent' || cmd === 'step') {
    const a = tool === 'circleci-agent' ? argv : args;
    if (a[0] !== 'step') die(`unknown command: ${a[0] ?? ''} (use step halt)`);
    return step(a.slice(1));
  }
  if (cmd === 'tests') return tests(args);
  if (cmd === 'env') return env(args);
  if (cmd === 'run') return run(args);
  process.stderr.write(`usage: circleci tests glob|split|run ..., circleci env subst, circleci run oidc|release ..., circleci-agent step halt\n`);
  return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 1;
}

const code = main();
if (typeof code === 'number') process.exitCode = code;
else code.then((c) => (process.exitCode = c));
