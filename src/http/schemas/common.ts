// JSON schemas shared by routes: they validate input, serialize output fast, and build
// the published OpenAPI document.

export const messageSchema = {
  type: 'object',
  properties: { message: { type: 'string' } },
  required: ['message'],
} as const;

/** Error responses every authenticated route can give. */
export const errorResponses = {
  400: messageSchema,
  401: messageSchema,
  404: messageSchema,
} as const;

export const pageTokenQuery = {
  type: 'object',
  properties: {
    'page-token': { type: 'string' },
  },
} as const;

export const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    login: { type: 'string' },
    name: { type: 'string' },
    avatar_url: { type: 'string', nullable: true },
  },
  required: ['id', 'login', 'name', 'avatar_url'],
} as const;

export const projectSlugParams = {
  type: 'object',
  properties: {
    provider: { type: 'string' },
    organization: { type: 'string' },
    project: { type: 'string' },
  },
  required: ['provider', 'organization', 'project'],
} as const;

/** Pipeline parameters: names to strings, numbers or booleans. */
export const parametersSchema = {
  type: 'object',
  maxProperties: 100,
  propertyNames: { maxLength: 128 },
  additionalProperties: { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 512 }, { type: 'boolean' }] },
} as const;
