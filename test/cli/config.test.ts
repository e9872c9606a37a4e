// `circlet config validate|process` as a real child process.
import { spawn, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRemote, formatDiagnostics, localPipelineValues, parsePipelineParameters } from '../../src/cli/config.ts';
import { CONFIGS_DIR as configsDir, ORBS_DIR as orbsDir } from '../fixtures/index.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(repoRoot, 'bin', 'circlet.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously (the fake registry below lives in this process). */
function circlet(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      CIRCLET_ORBS_DIR: undefined,
      CIRCLET_ORB_REGISTRY_URL: undefined,
      CIRCLET_DATA_DIR: join(work, 'data'),
      ...opts.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd ?? work, env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let work: string;
let registry: Server;
let registryUrl: string;
let registryHits = 0;

const validConfig = `version: 2.1
parameters:
  greeting:
    type: string
    default: hello
jobs:
  build:
    docker:
      - image: cimg/base:stable
    steps:
      - checkout
      - run: echo "<< pipeline.parameters.greeting >> on [<< pipeline.git.branch >>] tag [<< pipeline.git.tag >>] at << pipeline.git.revision >> n=<< pipeline.number >>"
workflows:
  main:
    jobs:
      - build
`;

const invalidConfig = `version: 2.1
jobs:
  build:
    docker:
      - image: cimg/base:stable
    steps:
      - checkout
      - run:
          name: no command
workflows:
  main:
    jobs:
      - build
`;

const orbConfig = `version: 2.1
orbs:
  greet: acme/greet@1
workflows:
  main:
    jobs:
      - greet/hello
`;

const greetOrb = `version: 2.1
jobs:
  hello:
    docker:
      - image: cimg/base:stable
    steps:
      - run: echo hello from the registry
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'circlet-cli-config-'));
  writeFileSync(join(work, 'valid.yml'), validConfig);
  writeFileSync(join(work, 'invalid.yml'), invalidConfig);
  writeFileSync(join(work, 'orb.yml'), orbConfig);
  writeFileSync(join(work, 'params.json'), JSON.stringify({ greeting: 'bonjour' }));

  registry = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      registryHits++;
      const ref = (JSON.parse(raw) as { variables: { orbVersionRef: string } }).variables.orbVersionRef;
      const orbVersion = ref === 'acme/greet@1' ? { id: 'v1', version: '1.4.2', orb: { id: 'o1', name: 'acme/greet' }, source: greetOrb } : null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { orbVersion } }));
    });
  });
  await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
});

afterAll(async () => {
  registry.closeAllConnections();
  await new Promise<void>((r) => registry.close(() => r()));
  rmSync(work, { recursive: true, force: true });
});

describe.concurrent('circlet config validate', () => {
  it('prints that a valid config is valid', async () => {
    const r = await circlet(['config', 'validate', 'valid.yml']);
    expect(r).toEqual({ code: 0, stdout: 'Config file at valid.yml is valid.\n', stderr: '' });
  });

  it('defaults to .circleci/config.yml', async () => {
    const dir = join(work, 'default-path');
    mkdirSync(join(dir, '.circleci'), { recursive: true });
    writeFileSync(join(dir, '.circleci', 'config.yml'), validConfig);
    const r = await circlet(['config', 'validate'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Config file at .circleci/config.yml is valid.\n');
  });

  it('reports each diagnostic as FILE:LINE:COL: message and exits 1', async () => {
    const r = await circlet(['config', 'validate', 'invalid.yml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^invalid\.yml:\d+:\d+: \S/);
    expect(lines).toContain("invalid.yml:9:11: missing required key 'command'");
  });

  it('fails clearly on a missing file', async () => {
    const r = await circlet(['config', 'validate', 'nope.yml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^circlet: cannot read config file nope\.yml: ENOENT/);
  });
});

describe.concurrent('circlet config process', () => {
  it('prints the compiled config with local pipeline values', async () => {
    const r = await circlet(['config', 'process', 'valid.yml', '--branch', 'feature/x']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const compiled = parse(r.stdout) as { version: number; jobs: Record<string, { steps: unknown[] }> };
    expect(compiled.version).toBe(2);
    expect(JSON.stringify(compiled.jobs.build.steps)).toContain('hello on [feature/x] tag [] at');
    expect(JSON.stringify(compiled.jobs.build.steps)).toContain(' n=1');
  });

  it('takes --tag, and refuses --branch with --tag', async () => {
    const tagged = await circlet(['config', 'process', 'valid.yml', '--tag', 'v1.2.3']);
    expect(tagged.code).toBe(0);
    expect(tagged.stdout).toContain('on [] tag [v1.2.3]');
    const both = await circlet(['config', 'process', 'valid.yml', '--branch', 'main', '--tag', 'v1']);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe('');
    expect(both.stderr).toMatch(/--branch.*cannot be used with.*--tag/);
  });

  it('takes pipeline parameters as JSON or @file', async () => {
    const inline = await circlet(['config', 'process', 'valid.yml', '--pipeline-parameters', '{"greeting":"hola"}']);
    expect(inline.code).toBe(0);
    expect(inline.stdout).toContain('hola on [');
    const fromFile = await circlet(['config', 'process', 'valid.yml', '--pipeline-parameters', '@params.json']);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('bonjour on [');
    const bad = await circlet(['config', 'process', 'valid.yml', '--pipeline-parameters', '[1]']);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toBe('circlet: --pipeline-parameters must be a JSON object, like {"deploy": true}\n');
    const undeclared = await circlet(['config', 'process', 'valid.yml', '--pipeline-parameters', '{"nope":1}']);
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toMatch(/^valid\.yml:\d+:\d+: /);
  });

  it('reads branch and revision from the git repository in the working directory', async () => {
    const dir = join(work, 'repo');
    mkdirSync(dir);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=trunk', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    writeFileSync(join(dir, 'config.yml'), validConfig);
    git('add', 'config.yml');
    git('commit', '-q', '-m', 'init');
    git('checkout', '-q', '-b', 'topic');
    git('remote', 'add', 'origin', 'git@github.com:acme/widgets.git');
    const sha = git('rev-parse', 'HEAD');
    const r = await circlet(['config', 'process', 'config.yml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`hello on [topic] tag [] at ${sha} n=1`);
  });

  it('compiles a real config with orbs from --orbs-dir', async () => {
    const file = join(configsDir, 'cypress-io__cypress-realworld-app.yml');
    const r = await circlet(['config', 'process', file, '--orbs-dir', orbsDir, '--no-registry']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Orb 'cypress-io\/cypress@3\.3\.1' resolved to 'cypress-io\/cypress@3\.3\.1'$/m);
    expect((parse(r.stdout) as { version: number }).version).toBe(2);
  });

  it('takes the orb directory from CIRCLET_ORBS_DIR; a missing orb is a diagnostic', async () => {
    const file = join(configsDir, 'scipy__scipy.yml');
    const r = await circlet(['config', 'validate', file, '--no-registry'], { env: { CIRCLET_ORBS_DIR: orbsDir } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/scipy__scipy\.yml:\d+:\d+: .*prefix-dev\/pixi@0\.1\.0/);
  });

  it('fetches orbs from the registry and caches them under CIRCLET_DATA_DIR/orbs', async () => {
    const dataDir = join(work, 'registry-data');
    const env = { CIRCLET_ORB_REGISTRY_URL: registryUrl, CIRCLET_DATA_DIR: dataDir };
    const before = registryHits;
    const r = await circlet(['config', 'process', 'orb.yml'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("# Orb 'acme/greet@1' resolved to 'acme/greet@1.4.2'");
    expect(r.stdout).toContain('echo hello from the registry');
    expect(registryHits).toBe(before + 1);
    expect(existsSync(join(dataDir, 'orbs', 'acme', 'greet@1.4.2.yml'))).toBe(true);
    expect(readFileSync(join(dataDir, 'orbs', 'acme', 'greet@1.4.2.yml'), 'utf8')).toBe(greetOrb);
  });

  it('fails clearly when the registry cannot be reached', async () => {
    const r = await circlet(['config', 'process', 'orb.yml'], {
      env: { CIRCLET_ORB_REGISTRY_URL: 'http://127.0.0.1:1', CIRCLET_DATA_DIR: join(work, 'unreachable-data') },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // Reported either as a located diagnostic or as a failure of the whole compile.
    expect(r.stderr).toMatch(/^(?:orb\.yml:\d+:\d+: |circlet: cannot compile orb\.yml: )/);
    expect(r.stderr).toMatch(/cannot fetch orb acme\/greet@1: orb registry http:\/\/127\.0\.0\.1:1\/graphql-unstable could not be reached/);
  });
});

describe('helpers', () => {
  it('local pipeline values', () => {
    const git = { branch: 'main', revision: 'abc123', remoteUrl: 'https://github.com/acme/widgets.git' };
    expect(localPipelineValues({}, git)).toMatchObject({
      id: '00000000-0000-0000-0000-000000000001',
      number: 1,
      'git.branch': 'main',
      'git.tag': '',
      'git.revision': 'abc123',
      'project.git_url': 'https://github.com/acme/widgets',
      'project.type': 'github',
    });
    expect(localPipelineValues({ tag: 'v1' }, git)).toMatchObject({ 'git.branch': '', 'git.tag': 'v1' });
    expect(localPipelineValues({ branch: 'dev' }, git)).toMatchObject({ 'git.branch': 'dev', 'git.tag': '' });
    expect(localPipelineValues({}, { branch: '', revision: '', remoteUrl: '' })).toMatchObject({ 'git.branch': '', 'git.revision': '' });
  });

  it('remote URLs', () => {
    expect(describeRemote('git@github.com:acme/widgets.git')).toEqual({ url: 'https://github.com/acme/widgets', type: 'github', owner: 'acme', name: 'widgets' });
    expect(describeRemote('ssh://git@bitbucket.org/team/repo.git')).toMatchObject({ url: 'https://bitbucket.org/team/repo', type: 'bitbucket' });
    expect(describeRemote('https://gitlab.com/group/sub/proj')).toMatchObject({ type: 'gitlab', owner: 'group/sub', name: 'proj' });
    expect(describeRemote('')).toEqual({ url: '', type: '', owner: '', name: '' });
  });

  it('diagnostic lines', () => {
    expect(
      formatDiagnostics('c.yml', [
        { severity: 'error', message: 'second', path: 'jobs.b', line: 9, column: 3 },
        { severity: 'warning', message: 'first', path: 'jobs.a', line: 2, column: 5 },
        { severity: 'error', message: 'nowhere', path: 'jobs.x' },
      ]),
    ).toEqual(['c.yml:1:1: nowhere (at jobs.x)', 'c.yml:2:5: warning: first', 'c.yml:9:3: second']);
  });

  it('pipeline parameters', () => {
    expect(parsePipelineParameters('{"a":1}')).toEqual({ a: 1 });
    expect(() => parsePipelineParameters('{')).toThrow(/^--pipeline-parameters is not valid JSON/);
    expect(() => parsePipelineParameters('@/nonexistent/p.json')).toThrow(/^cannot read pipeline parameters file \/nonexistent\/p\.json/);
  });
});
