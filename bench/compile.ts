// Compile cost against the cost of merely parsing the same YAML, per real-world config.
//
//   npx tsx bench/compile.ts [--strict] [--filter <substring>]
//
// For every config in ../shared/testdata/configs: the median time of `compileConfig` (orbs served
// from memory: a MemoryOrbSource over the local orb directory, preloaded by a warm-up compile)
// beside the median time of `yaml` parseDocument (YAML 1.1, merge keys) + toJS on the same text,
// measured in the same run, interleaved. Targets: compile ≤ 3× parse for each config, and the
// largest config compiles in under 20 ms. `--strict` exits 1 when a target is missed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { compileConfig } from '../src/config/index.ts';
import type { OrbSource, PipelineValues } from '../src/config/types.ts';
import { MemoryOrbSource } from '../src/config/orbs/chain.ts';
import { DirectoryOrbSource } from '../src/config/orbs/directory.ts';

const RATIO_TARGET = 3;
const LARGEST_TARGET_MS = 20;
/** Per config and per measure: at least this many samples, and at least this much time. */
const MIN_SAMPLES = 15;
const MAX_SAMPLES = 400;
const MIN_TIME_MS = 300;

const here = path.dirname(fileURLToPath(import.meta.url));
const testdata = path.resolve(here, '..', '..', 'shared', 'testdata');
const configsDir = path.join(testdata, 'configs');
const orbsDir = path.join(testdata, 'orbs');

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;

/** The revision of the dev orbs in the orb directory (`<name>@dev-<rev>.yml`), so they resolve. */
function devRevision(): string {
  for (const ns of readdirSync(orbsDir, { withFileTypes: true })) {
    if (!ns.isDirectory()) continue;
    for (const f of readdirSync(path.join(orbsDir, ns.name))) {
      const m = /@dev-([0-9a-f]{7,40})\.yml$/.exec(f);
      if (m) return m[1];
    }
  }
  return '';
}

const pipelineValues: PipelineValues = {
  id: '00000000-0000-0000-0000-000000000001',
  number: 1,
  'project.git_url': 'https://github.com/example/project',
  'project.type': 'github',
  'git.branch': 'main',
  'git.revision': devRevision(),
  trigger_source: 'webhook',
};

const memory = new MemoryOrbSource(new DirectoryOrbSource(orbsDir));
/** Orb sources handed to the compiler since the last reset (to price their parsing separately). */
let handedOut = new Map<string, string>();
const orbSource: OrbSource = {
  async resolve(ref) {
    const hit = await memory.resolve(ref);
    if (hit) handedOut.set(`${ref.namespace}/${ref.name}@${hit.resolvedVersion}`, hit.source);
    return hit;
  },
};

function parseOnly(text: string): unknown {
  return parseDocument(text, { version: '1.1', merge: true }).toJS({ maxAliasCount: -1 });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Row {
  file: string;
  kb: number;
  orbKb: number;
  parseMs: number;
  /** Parsing the config and every orb it imports: the floor when orbs are cached as text. */
  parseAllMs: number;
  compileMs: number;
  samples: number;
  errors: number;
}

async function measure(file: string): Promise<Row> {
  const text = readFileSync(path.join(configsDir, file), 'utf8');
  const compile = () => compileConfig(text, { orbSource, pipelineValues });
  // Warm-up: loads the orbs into memory and lets the JIT settle.
  handedOut = new Map();
  const first = await compile();
  const orbTexts = [...handedOut.values()];
  for (let i = 0; i < 3; i++) {
    parseOnly(text);
    await compile();
  }
  const parseTimes: number[] = [];
  const parseAllTimes: number[] = [];
  const compileTimes: number[] = [];
  let spent = 0;
  while (parseTimes.length < MAX_SAMPLES && (parseTimes.length < MIN_SAMPLES || spent < MIN_TIME_MS)) {
    const t0 = performance.now();
    parseOnly(text);
    const t1 = performance.now();
    await compile();
    const t2 = performance.now();
    for (const orb of orbTexts) parseOnly(orb);
    const t3 = performance.now();
    parseTimes.push(t1 - t0);
    compileTimes.push(t2 - t1);
    parseAllTimes.push(t1 - t0 + (t3 - t2));
    spent += t3 - t0;
  }
  return {
    file,
    kb: Buffer.byteLength(text) / 1024,
    orbKb: orbTexts.reduce((a, t) => a + Buffer.byteLength(t), 0) / 1024,
    parseMs: median(parseTimes),
    parseAllMs: median(parseAllTimes),
    compileMs: median(compileTimes),
    samples: parseTimes.length,
    errors: first.diagnostics.filter((d) => d.severity === 'error').length,
  };
}

const files = readdirSync(configsDir)
  .filter((f) => f.endsWith('.yml') && (filter === undefined || f.includes(filter)))
  .sort();
const rows: Row[] = [];
for (const f of files) rows.push(await measure(f));

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const nameWidth = Math.max(6, ...rows.map((r) => r.file.length));
console.log(
  `${pad('config', nameWidth)}  ${lpad('KiB', 6)}  ${lpad('orb KiB', 7)}  ${lpad('parse ms', 9)}  ${lpad('compile ms', 10)}  ${lpad('ratio', 6)}  ${lpad('+orbs ms', 9)}  ${lpad('ratio', 6)}  ${lpad('n', 4)}  note`,
);
for (const r of rows) {
  const ratio = r.compileMs / r.parseMs;
  const note = r.errors > 0 ? `${r.errors} error(s): not counted` : ratio <= RATIO_TARGET ? '' : `> ${RATIO_TARGET}x`;
  console.log(
    [
      pad(r.file, nameWidth),
      lpad(r.kb.toFixed(1), 6),
      lpad(r.orbKb.toFixed(1), 7),
      lpad(r.parseMs.toFixed(3), 9),
      lpad(r.compileMs.toFixed(3), 10),
      lpad(ratio.toFixed(2), 6),
      lpad(r.parseAllMs.toFixed(3), 9),
      lpad((r.compileMs / r.parseAllMs).toFixed(2), 6),
      lpad(String(r.samples), 4),
      note,
    ].join('  '),
  );
}
console.log('(+orbs ms: parsing the config and the text of every orb it imports; its ratio is compile / that)');

const counted = rows.filter((r) => r.errors === 0);
const ratios = counted.map((r) => r.compileMs / r.parseMs);
const worst = counted.reduce<Row | undefined>((w, r) => (w === undefined || r.compileMs / r.parseMs > w.compileMs / w.parseMs ? r : w), undefined);
const largest = counted.reduce<Row | undefined>((w, r) => (w === undefined || r.kb > w.kb ? r : w), undefined);
const geomean = ratios.length ? Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length) : NaN;
const over = counted.filter((r) => r.compileMs / r.parseMs > RATIO_TARGET);

console.log('');
console.log(`configs compiled cleanly: ${counted.length}/${rows.length}; ratio compile/parse: geomean ${geomean.toFixed(2)}, max ${worst ? (worst.compileMs / worst.parseMs).toFixed(2) : '-'} (${worst?.file ?? '-'})`);
const ratioOk = over.length === 0;
console.log(`target compile ≤ ${RATIO_TARGET}× parse: ${ratioOk ? 'PASS' : `FAIL (${over.length} over: ${over.map((r) => r.file).join(', ')})`}`);
const largestOk = largest !== undefined && largest.compileMs < LARGEST_TARGET_MS;
console.log(
  `target largest config < ${LARGEST_TARGET_MS} ms: ${largestOk ? 'PASS' : 'FAIL'} (${largest?.file ?? '-'}, ${largest?.kb.toFixed(1) ?? '-'} KiB, ${largest?.compileMs.toFixed(2) ?? '-'} ms)`,
);
if (strict && !(ratioOk && largestOk)) process.exitCode = 1;
