// Real-world configs: each compiles without errors against the local orb directory; the five whose
// orbs are absent give exactly one diagnostic naming the missing orb. Outputs are file-snapshotted.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/index.ts';
import { parseYaml } from '../../src/config/parse.ts';
import { CONFIGS_DIR } from '../fixtures/index.ts';
import { dirSource, PIPELINE_VALUES } from './helpers.ts';

const dir = CONFIGS_DIR;
const files = readdirSync(dir).filter((f) => f.endsWith('.yml')).sort();

const MISSING: Record<string, string> = {
  'apollographql__rover.yml': 'circleci/github-cli@2.7.2',
  'ethereum__solidity.yml': 'circleci/windows@2.2.0',
  'open-mmlab__mmcv.yml': 'circleci/path-filtering@0.1.2',
  'prometheus__node_exporter.yml': 'prometheus/prometheus@0.17.1',
  'scipy__scipy.yml': 'prefix-dev/pixi@0.1.0',
};

describe('corpus configs', () => {
  it('has the 41 configs', () => {
    expect(files).toHaveLength(41);
  });
  for (const f of files) {
    it(f, async () => {
      const source = readFileSync(path.join(dir, f), 'utf8');
      const r = await compileConfig(source, { orbSource: dirSource, pipelineValues: PIPELINE_VALUES });
      const errs = r.diagnostics.filter((d) => d.severity === 'error');
      const missing = MISSING[f];
      if (missing) {
        expect(errs).toHaveLength(1);
        expect(errs[0].message).toContain(missing);
        expect(errs[0].message).toMatch(/Cannot find orb/);
        expect(errs[0].line).toBeGreaterThan(0);
        expect(r.compiled).toBeNull();
        return;
      }
      expect(errs.map((d) => `${d.path}: ${d.message}`)).toEqual([]);
      expect(r.compiled).not.toBeNull();
      // The rendered YAML reads back (as CircleCI's YAML 1.1 reader would) as the same data.
      expect(parseYaml(r.compiledYaml ?? '').value).toEqual(r.compiled);
      await expect(r.compiledYaml).toMatchFileSnapshot(path.join('__snapshots__', 'corpus', f.replace(/\.yml$/, '.compiled.yml')));
    });
  }
});
