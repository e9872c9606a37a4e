// Real git repositories in temp dirs for tests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './databases.ts';

export interface TestRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes files (path → content) and commits them on the current branch; returns the sha. */
  commit(files: Record<string, string>, message?: string): string;
  branch(name: string): void;
  checkout(name: string): void;
  tag(name: string): void;
}

export function makeRepo(config?: string, branch = 'main'): TestRepo {
  const dir = tempDir('circlet-repo-');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd: dir, stdio: 'pipe' }).toString().trim();
  git('init', '-q', '-b', branch);
  const repo: TestRepo = {
    dir,
    git,
    commit(files, message = 'change') {
      for (const [p, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        fs.writeFileSync(path.join(dir, p), content);
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    branch(name) {
      git('checkout', '-q', '-b', name);
    },
    checkout(name) {
      git('checkout', '-q', name);
    },
    tag(name) {
      git('tag', name);
    },
  };
  if (config !== undefined) repo.commit({ '.circleci/config.yml': config }, 'initial');
  return repo;
}
