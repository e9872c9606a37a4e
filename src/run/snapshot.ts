// The code a local run checks out: the working tree as it is now (uncommitted and
// untracked-but-not-ignored files included) or HEAD, as a commit in a scratch bare
// repository the run's git mirror fetches from. The user's repository is only read: the
// commit's objects are written to the scratch repository (the user's object database is
// an alternate of it), its index is a copy, and no ref is made in the user's repository.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export class SnapshotError extends Error {}

export interface RepoInfo {
  /** The working tree's top directory. */
  root: string;
  /** The repository's object directory (shared by its worktrees). */
  objects: string;
  /** The index of this worktree. */
  index: string;
  /** Checked-out branch; empty on a detached HEAD. */
  branch: string;
  /** HEAD's commit; empty in a repository without commits. */
  head: string;
  remoteUrl: string;
}

export interface Snapshot {
  /** The scratch bare repository (a URL the mirror fetches from). */
  url: string;
  /** The commit the pipeline runs. */
  revision: string;
  /** Whether it differs from HEAD (the working tree had changes). */
  dirty: boolean;
}

function git(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new SnapshotError(`git ${args[0]}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout).trim());
    });
  });
}

const optional = (p: Promise<string>) => p.catch(() => '');

/** Reads where the repository at `cwd` keeps things; an error outside a git repository. */
export async function readRepo(cwd: string): Promise<RepoInfo> {
  let out: string;
  try {
    out = await git(['rev-parse', '--show-toplevel', '--git-path', 'objects', '--git-path', 'index'], { cwd });
  } catch {
    throw new SnapshotError(`${cwd} is not in a git repository (circlet run runs the repository you are in)`);
  }
  const [root, objects, index] = out.split('\n');
  const [branch, head, remoteUrl] = await Promise.all([
    optional(git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd })),
    optional(git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd })),
    optional(git(['config', '--get', 'remote.origin.url'], { cwd })),
  ]);
  return { root: root!, objects: path.resolve(cwd, objects!), index: path.resolve(cwd, index!), branch, head, remoteUrl };
}

/** A commit of the working tree's current state (HEAD itself when nothing differs). */
async function commitWorkingTree(repo: RepoInfo, scratch: string): Promise<{ revision: string; dirty: boolean }> {
  const index = path.join(scratch, 'circlet-index');
  // A copy of the user's index: `add -A` then re-hashes only the files whose stat changed.
  if (fs.existsSync(repo.index)) fs.copyFileSync(repo.index, index);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_INDEX_FILE: index,
    GIT_OBJECT_DIRECTORY: path.join(scratch, 'objects'),
    GIT_ALTERNATE_OBJECT_DIRECTORIES: repo.objects,
  };
  // Runs' own output (.circlet/runs) is not part of the code.
  await git(['add', '--all', '--', '.', ':(exclude).circlet'], { cwd: repo.root, env });
  const tree = await git(['write-tree'], { cwd: repo.root, env });
  if (repo.head) {
    const headTree = await git(['rev-parse', `${repo.head}^{tree}`], { cwd: repo.root, env });
    if (headTree === tree) return { revision: repo.head, dirty: false };
  }
  const message = 'circlet run: the working tree (uncommitted changes included)';
  const args = ['commit-tree', tree, ...(repo.head ? ['-p', repo.head] : []), '-m', message];
  let revision: string;
  try {
    revision = await git(args, { cwd: repo.root, env });
  } catch {
    // No identity configured: the commit is the run's own, so any name does.
    revision = await git(args, { cwd: repo.root, env: { ...env, GIT_AUTHOR_NAME: 'circlet', GIT_AUTHOR_EMAIL: 'circlet@localhost', GIT_COMMITTER_NAME: 'circlet', GIT_COMMITTER_EMAIL: 'circlet@localhost' } });
  }
  return { revision, dirty: true };
}

/**
 * Makes `<scratch>` a bare repository whose `ref` (e.g. `refs/heads/main`) is the working
 * tree's state (`workingTree`) or HEAD.
 */
export async function makeSnapshot(repo: RepoInfo, scratch: string, ref: string, workingTree: boolean): Promise<Snapshot> {
  fs.mkdirSync(scratch, { recursive: true });
  await git(['init', '--bare', '--quiet', scratch], { cwd: scratch });
  fs.mkdirSync(path.join(scratch, 'objects', 'info'), { recursive: true });
  fs.writeFileSync(path.join(scratch, 'objects', 'info', 'alternates'), repo.objects + '\n');
  let snap: { revision: string; dirty: boolean };
  if (workingTree) snap = await commitWorkingTree(repo, scratch);
  else if (repo.head) snap = { revision: repo.head, dirty: false };
  else throw new SnapshotError('the repository has no commit yet: run without --commit to run the working tree');
  await git(['--git-dir', scratch, 'update-ref', ref, snap.revision], { cwd: scratch });
  return { url: scratch, ...snap };
}
