// Validates responses against CircleCI's published OpenAPI documents (test input in ../shared).
import fs from 'node:fs';
import path from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

const shared = path.resolve(process.cwd(), '../shared/reference');

type Json = any;

/** Turns Swagger-2 style `x-nullable: true` into OpenAPI 3.0 `nullable: true`. */
function normalize(node: Json): Json {
  if (Array.isArray(node)) return node.map(normalize);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = normalize(v);
    if (node['x-nullable'] === true) out.nullable = true;
    return out;
  }
  return node;
}

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  literalWeight: number;
  responses: Record<string, Json>;
  pointer: string;
}

export class SpecValidator {
  private readonly ajv: InstanceType<typeof Ajv>;
  private readonly ops: Operation[] = [];
  private readonly cache = new Map<string, ValidateFunction>();
  constructor(
    private readonly id: string,
    file: string,
    private readonly prefix: string,
  ) {
    const spec = normalize(JSON.parse(fs.readFileSync(path.join(shared, file), 'utf8')));
    spec.$id = id;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
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
  return (v2 ??= new SpecValidator('circleci-v2', 'circleci-api-v2.openapi.json', '/api/v2'));
}
export function specV1(): SpecValidator {
  return (v1 ??= new SpecValidator('circleci-v1', 'circleci-api-v1.openapi.json', '/api/v1.1'));
}
