// Validates responses against CircleCI's published OpenAPI documents (test fixtures).
import fs from 'node:fs';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { API_V1_SPEC, API_V2_SPEC } from '../fixtures/index.ts';

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

type Json = any;

/**
 * Turns Swagger-2 style `x-nullable: true` into OpenAPI 3.0 `nullable: true`. A nullable
 * `enum` also admits null (CircleCI's spec marks e.g. Workflow `tag` `enum: [setup]` and
 * x-nullable, meaning "setup" or null; ajv would otherwise still reject null by the enum).
 */
function normalize(node: Json): Json {
  if (Array.isArray(node)) return node.map(normalize);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = normalize(v);
    if (node['x-nullable'] === true) out.nullable = true;
    if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return node;
}

/**
 * Where CircleCI's published spec is plainly wrong about what CircleCI itself returns, the
 * validator applies a small, documented correction (listed in docs/compatibility.md). Each
 * erratum names the schema node (a JSON pointer into the spec document) and the keywords
 * merged into it. A pointer that no longer resolves fails loudly, so errata cannot go stale.
 */
export interface Erratum {
  spec: 'v1' | 'v2';
  pointer: string;
  merge: Record<string, unknown>;
  why: string;
}

const V2_JOB_ITEM = '/paths/~1workflow~1{id}~1job/get/responses/200/content/application~1json/schema/properties/items/items';
const V2_JOB_DETAILS = '/paths/~1project~1{project-slug}~1job~1{job-number}/get/responses/200/content/application~1json/schema';
const V1_SUMMARY = '/components/schemas/JobSummary/properties';
const V1_DETAILS = '/components/schemas/JobDetails/properties';

export const ERRATA: Erratum[] = [
  {
    spec: 'v2',
    pointer: `${V2_JOB_ITEM}/properties/started_at`,
    merge: { nullable: true },
    why: 'listWorkflowJobs: `started_at` is required and a date-time, but jobs that have not started (blocked, queued, on_hold, not_run) have `started_at: null` in CircleCI.',
  },
  {
    spec: 'v2',
    pointer: `${V2_JOB_ITEM}/properties/requires/additionalProperties/items`,
    merge: { enum: ['success', 'failed', 'canceled', 'unauthorized', 'not_run'] },
    why: 'listWorkflowJobs: `requires` statuses list only success/failed/canceled, but CircleCI config also accepts `unauthorized` and `not_run` (and `terminal`, meaning all five) in `requires`.',
  },
  {
    spec: 'v2',
    pointer: `${V2_JOB_DETAILS}/properties/started_at`,
    merge: { nullable: true },
    why: 'getJobDetails: `started_at` is required and a date-time, but a queued job has not started and CircleCI returns null.',
  },
  ...(['start_time', 'stop_time', 'branch'] as const).flatMap((field): Erratum[] =>
    [V1_SUMMARY, V1_DETAILS].map((base) => ({
      spec: 'v1',
      pointer: `${base}/${field}`,
      merge: { nullable: true },
      why: `v1.1 builds: \`${field}\` is typed as a plain string, but it is null where there is none: CircleCI's own v1.1 examples (cancel, trigger) show \`start_time\`/\`stop_time\` null for a build not yet started, and a build of a tag has no branch.`,
    })),
  ),
  {
    spec: 'v1',
    pointer: `${V1_DETAILS}/outcome`,
    merge: { nullable: true },
    why: 'v1.1 builds: `outcome` is typed as a plain string, but it is null until a build finishes (CircleCI\'s own v1.1 examples of retry and trigger show `"outcome": null`).',
  },
];

function applyErrata(spec: Json, which: 'v1' | 'v2'): void {
  for (const e of ERRATA.filter((x) => x.spec === which)) {
    let node = spec;
    for (const raw of e.pointer.split('/').slice(1)) {
      node = node?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (!node || typeof node !== 'object') throw new Error(`erratum pointer does not resolve in the ${which} spec: ${e.pointer}`);
    Object.assign(node, e.merge);
  }
}

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  literalWeight: number;
  responses: Record<string, Json>;
  pointer: string;
  operationId?: string;
}

export class SpecValidator {
  private readonly ajv: InstanceType<typeof Ajv>;
  private readonly ops: Operation[] = [];
  private readonly cache = new Map<string, ValidateFunction>();
  constructor(
    private readonly id: string,
    file: string,
    private readonly prefix: string,
    errata: 'v1' | 'v2',
  ) {
    const spec = normalize(JSON.parse(fs.readFileSync(file, 'utf8')));
    applyErrata(spec, errata);
    spec.$id = id;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // The spec writes `format: integer` on some integer fields; it adds nothing to `type`.
    this.ajv.addFormat('integer', true);
    this.ajv.addSchema(spec);
    for (const [template, item] of Object.entries<Json>(spec.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const op = item[method];
        if (!op) continue;
        const source = template
          .split('/')
          .map((seg) => {
            if (seg === '{project-slug}') return '[^/]+/[^/]+/[^/]+';
            if (/^\{.+\}$/.test(seg)) return '[^/]+';
            return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('/');
        this.ops.push({
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${source}$`),
          literalWeight: template.split('/').filter((s) => s && !s.startsWith('{')).length,
          responses: op.responses,
          operationId: op.operationId,
          pointer: `/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses`,
        });
      }
    }
  }

  /** The spec operation a concrete request path (with the API prefix) maps to. */
  operation(method: string, urlPath: string): Operation | undefined {
    const p = urlPath.split('?')[0]!.replace(/%2f/gi, '/');
    if (!p.startsWith(this.prefix)) return undefined;
    const rel = p.slice(this.prefix.length);
    const candidates = this.ops.filter((o) => o.method === method && o.regex.test(rel));
    candidates.sort((a, b) => b.literalWeight - a.literalWeight);
    return candidates[0];
  }

  /** Returns the problems with a response; empty when it conforms. */
  check(method: string, urlPath: string, status: number, body: unknown): string[] {
    const op = this.operation(method, urlPath);
    if (!op) return [`no operation in ${this.id} for ${method} ${urlPath}`];
    const key = op.responses[String(status)] ? String(status) : op.responses.default ? 'default' : undefined;
    if (!key) return [`status ${status} is not declared for ${method} ${op.template} (declared: ${Object.keys(op.responses).join(', ')})`];
    const content = op.responses[key].content?.['application/json'];
    if (!content?.schema) return [];
    const ref = `${this.id}#${op.pointer}/${key}/content/application~1json/schema`;
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref }) as ValidateFunction;
      this.cache.set(ref, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${method} ${op.template} ${status}: body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

let v2: SpecValidator | undefined;
let v1: SpecValidator | undefined;
export function specV2(): SpecValidator {
  return (v2 ??= new SpecValidator('circleci-v2', API_V2_SPEC, '/api/v2', 'v2'));
}
export function specV1(): SpecValidator {
  return (v1 ??= new SpecValidator('circleci-v1', API_V1_SPEC, '/api/v1.1', 'v1'));
}
