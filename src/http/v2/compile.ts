// `POST /api/v2/compile-config-with-defaults`: what `circleci config validate|process`
// calls. Not in the published v2 spec; shapes follow CircleCI's CLI.
import type { FastifyInstance } from 'fastify';
import type { PipelineValues } from '../../config/index.ts';
import { compileIsolated } from '../../engine/services/compile-worker.ts';
import type { HttpDeps } from '../deps.ts';

interface CompileBody {
  config_yaml: string;
  options?: { owner_id?: string; pipeline_values?: Record<string, unknown>; pipeline_parameters?: Record<string, unknown> };
}

const scalar = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } as const;

/** Pipeline values as clients send them (`pipeline.git.branch` or `git.branch`), as the compiler takes them. */
export function normalizeValues(values: Record<string, unknown> = {}): PipelineValues {
  const out: PipelineValues = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k.replace(/^pipeline\./, '')] = v;
  }
  return out;
}

export function compileRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Body: CompileBody }>(
    '/compile-config-with-defaults',
    {
      schema: {
        tags: ['Config'],
        operationId: 'compileConfigWithDefaults',
        body: {
          type: 'object',
          properties: {
            config_yaml: { type: 'string', maxLength: 5 * 1024 * 1024 },
            options: {
              type: 'object',
              properties: {
                owner_id: { type: 'string' },
                pipeline_values: { type: 'object', additionalProperties: scalar },
                pipeline_parameters: { type: 'object', additionalProperties: scalar },
              },
            },
          },
          required: ['config_yaml'],
        },
      },
      bodyLimit: 6 * 1024 * 1024,
    },
    async (req) => {
      const opts = req.body.options ?? {};
      // Off the event loop, with the compile time and memory limits (engine/compile-worker.ts).
      const result = await compileIsolated(req.body.config_yaml, {
        pipelineValues: normalizeValues(opts.pipeline_values),
        pipelineParameters: opts.pipeline_parameters ?? {},
        orbSource: deps.engine.orbSource,
      });
      const errors = result.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => ({ message: `${d.line !== undefined ? `line ${d.line}, column ${d.column ?? 1}: ` : ''}${d.path ? `${d.path}: ` : ''}${d.message}` }));
      return {
        valid: errors.length === 0,
        errors: errors.length === 0 ? null : errors,
        'source-yaml': req.body.config_yaml,
        'output-yaml': result.compiledYaml ?? '',
      };
    },
  );
}
