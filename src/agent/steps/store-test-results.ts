// `store_test_results`: a JUnit XML file, or every `*.xml` file below a directory,
// parsed into test cases and stored with the job (the tests API, timings for splitting).
// Files that are not JUnit XML are reported and skipped; they do not fail the step.
import path from 'node:path';
import type { StoreTestResultsStep } from '../../config/compiled.ts';
import { OutputsClient, type TestCaseResult } from '../outputs-client.ts';
import { storableFiles } from './links.ts';
import type { StepContext, StepOutcome } from './types.ts';

export async function storeTestResults(ctx: StepContext, step: StoreTestResultsStep): Promise<StepOutcome> {
  const p = step.path;
  if (!p) {
    ctx.log('circlet: store_test_results needs a path\n');
    return { status: 'failed', exitCode: null };
  }
  const abs = ctx.executor.resolvePath(ctx.ws, p, ctx.workingDirectory);
  // Links are never followed out of the working directory (links.ts).
  const found = await storableFiles(ctx, abs);
  const single = found.single;
  const files = found.files.filter((e) => single || /\.xml$/i.test(e.path));
  if (files.length === 0) {
    ctx.log(`No test results found at ${abs}\n`);
    return { status: 'success', exitCode: 0 };
  }
  // The XML parser loads with the first results (most jobs store none).
  const { JUnitError, parseJUnit } = await import('../junit.ts');
  const tests: TestCaseResult[] = [];
  for (const f of files) {
    const rel = single ? path.basename(f.path) : path.relative(abs, f.path).split(path.sep).join('/');
    const text = await ctx.executor.readFile(ctx.ws, f.path);
    if (text === undefined) {
      ctx.log(`  ${rel}: could not be read\n`);
      continue;
    }
    // CircleCI names the source of results by their subdirectory (e.g. `mocha/` → mocha).
    const source = rel.includes('/') ? rel.split('/')[0]! : '';
    try {
      const parsed = parseJUnit(text, source);
      tests.push(...parsed);
      ctx.log(`  ${rel}: ${parsed.length} test${parsed.length === 1 ? '' : 's'}\n`);
    } catch (err) {
      if (!(err instanceof JUnitError)) throw err;
      ctx.log(`  ${rel}: skipped, ${err.message}\n`);
    }
  }
  const count = (r: string) => tests.filter((t) => t.result === r).length;
  const stored = await new OutputsClient(ctx.client, ctx.payload.task.id, ctx.signal).storeTestResults(tests);
  ctx.log(`Stored ${stored} test result${stored === 1 ? '' : 's'}: ${count('success')} passed, ${count('failure')} failed, ${count('error')} errors, ${count('skipped')} skipped\n`);
  return { status: 'success', exitCode: 0 };
}
