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
  /** HEAD's tree; empty in a repository without commits. */
  headTree: string;
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
    out = await git(['rev-parse', '--show-toplevel', '--git-path', 'objects', '--git-path', 'index', '--git-path', 'HEAD'], { cwd });
  } catch {
    throw new SnapshotError(`${cwd} is not in a git repository (circlet run runs the repository you are in)`);
  }
  const [root, objects, index, headFile] = out.split('\n');
  // HEAD names the branch (`ref: refs/heads/main`), or is a commit when detached.
  let branch = '';
  try {
    branch = /^ref: refs\/heads\/(.+)$/m.exec(fs.readFileSync(path.resolve(cwd, headFile!), 'utf8'))?.[1]?.trim() ?? '';
  } catch {
    /* no HEAD file: detached or unusual layout */
  }
  // One git for both; it fails (nothing printed) on a repository without commits.
  const [head = '', headTree = ''] = (await optional(git(['rev-parse', 'HEAD^{commit}', 'HEAD^{tree}', '--'], { cwd }))).split('\n');
  return { root: root!, objects: path.resolve(cwd, objects!), index: path.resolve(cwd, index!), branch, head, headTree };
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
  // Runs' own output (.circlet/runs) is not part of the code. Where .gitignore already leaves
  // it out, git refuses a pathspec naming an ignored path: then nothing needs excluding.
  await git(['-c', 'advice.addIgnoredFile=false', 'add', '--all', '--', '.', ':(exclude).circlet'], { cwd: repo.root, env: { ...env, LC_ALL: 'C' } }).catch(async (err: unknown) => {
    if (!/ignored by one of your \.gitignore files/.test(String(err))) throw err;
    await git(['add', '--all', '--', '.'], { cwd: repo.root, env });
  });
  const tree = await git(['write-tree'], { cwd: repo.root, env });
  if (repo.head && repo.headTree === tree) return { revision: repo.head, dirty: false };
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
 * A bare repository by hand, as `git init --bare` lays it out (less its sample hooks): one git
 * process fewer per run. Its objects come from the user's repository (an alternate).
 */
function initBare(dir: string, objects: string): void {
  for (const sub of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.writeFileSync(path.join(dir, 'HEAD'), 'ref: refs/heads/main\n');
  fs.writeFileSync(path.join(dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n');
  fs.writeFileSync(path.join(dir, 'objects', 'info', 'alternates'), objects + '\n');
}

/**
 * Makes `<scratch>` a bare repository whose `ref` (e.g. `refs/heads/main`) is the working
 * tree's state (`workingTree`) or HEAD.
 */
export async function makeSnapshot(repo: RepoInfo, scratch: string, ref: string, workingTree: boolean): Promise<Snapshot> {
  initBare(scratch, repo.objects);
  let snap: { revision: string; dirty: boolean };
  if (workingTree) snap = await commitWorkingTree(repo, scratch);
  else if (repo.head) snap = { revision: repo.head, dirty: false };
  else throw new SnapshotError('the repository has no commit yet: run without --commit to run the working tree');
  // A loose ref is a file holding the commit (what `git update-ref` writes in a new repository).
  if (ref.split('/').some((part) => part === '' || part.startsWith('.') || part.endsWith('.lock')) || /[\0-\x20~^:?*[\\\x7f]|\.\.|@\{/.test(ref)) throw new SnapshotError(`not a valid branch or tag name: ${ref.replace(/^refs\/(heads|tags)\//, '')}`);
  const refFile = path.join(scratch, ...ref.split('/'));
  fs.mkdirSync(path.dirname(refFile), { recursive: true });
  fs.writeFileSync(refFile, snap.revision + '\n');
  return { url: scratch, ...snap };
}
