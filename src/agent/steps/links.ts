// The one rule for files a job hands to the server (store_artifacts, store_test_results): a
// symbolic link is never followed out of the job's working directory. A path (or a file below
// a stored directory) that reaches outside through a link is skipped with a log line, so a link
// to /etc/passwd or to /etc uploads nothing of them (docs/security.md).
import path from 'node:path';
import type { FileEntry } from '../../executor/types.ts';
import type { StepContext } from './types.ts';

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface LinkGuard {
  /** Why `abs` may not be read (it leads outside the working directory through a link), or null. */
  refuse(abs: string): Promise<string | null>;
}

export async function linkGuard(ctx: StepContext): Promise<LinkGuard> {
  const workdir = (await ctx.executor.realPath(ctx.ws, ctx.workingDirectory)) ?? ctx.workingDirectory;
  return {
    async refuse(abs) {
      const real = await ctx.executor.realPath(ctx.ws, abs);
      if (real === undefined || real === abs) return null;
      // A link was followed somewhere along the path: its target must be in the working directory.
      if (inside(workdir, real)) return null;
      return `${abs} is a symbolic link to ${real}, outside the job's working directory ${ctx.workingDirectory}: skipped`;
    },
  };
}

/**
 * The files to store below `abs` (or `abs` itself): regular files, plus links to files inside
 * the working directory. Everything refused is logged.
 */
export async function storableFiles(ctx: StepContext, abs: string): Promise<{ files: FileEntry[]; single: boolean; found: boolean }> {
  const guard = await linkGuard(ctx);
  const why = await guard.refuse(abs);
  if (why) {
    ctx.log(`${why}\n`);
    return { files: [], single: false, found: true };
  }
  const entries = await ctx.executor.listFiles(ctx.ws, abs);
  const files: FileEntry[] = [];
  for (const e of entries) {
    if (e.type === 'file') files.push(e);
    else if (e.type === 'symlink') {
      const reason = await guard.refuse(e.path);
      const real = reason ? undefined : await ctx.executor.realPath(ctx.ws, e.path);
      if (reason) ctx.log(`  ${reason}\n`);
      else if (real !== undefined && (await ctx.executor.listFiles(ctx.ws, real))[0]?.type === 'file') files.push({ ...e, type: 'file' });
      else ctx.log(`  ${e.path} is a symbolic link that is not to a file: skipped\n`);
    }
  }
  return { files, single: entries[0]?.type === 'file', found: entries.length > 0 };
}
