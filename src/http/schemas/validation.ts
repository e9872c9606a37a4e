// Request validation for routes that take JSON bodies: path and query strings are coerced
// (they are text on the wire), JSON bodies are not, so `{"name": 1}` or
// `{"oss": "true"}` is a 400 naming the field instead of being silently converted.
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(ajv);
  return ajv;
}

const lenient = makeAjv(true);
const strict = makeAjv(false);

export const strictBodyValidator: FastifySchemaCompiler<any> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : lenient).compile(schema as object) as ReturnType<FastifySchemaCompiler<any>>;
