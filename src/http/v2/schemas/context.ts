// JSON schemas of the Context tag (contexts, their environment variables and restrictions),
// shaped as CircleCI's spec.
import { errorResponses, messageSchema } from '../../schemas/common.ts';

export const contextSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'created_at'],
} as const;

export const contextListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: contextSchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

export const envVarSchema = {
  type: 'object',
  properties: {
    variable: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    context_id: { type: 'string', format: 'uuid' },
  },
  required: ['variable', 'created_at', 'updated_at', 'context_id'],
} as const;

export const envVarListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: envVarSchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

const restrictionProperties = {
  id: { type: 'string', format: 'uuid' },
  project_id: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  restriction_type: { type: 'string', enum: ['project', 'expression', 'group'] },
  restriction_value: { type: 'string' },
} as const;

export const restrictionCreatedSchema = { type: 'object', properties: restrictionProperties } as const;

export const restrictionListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', properties: { context_id: { type: 'string', format: 'uuid' }, ...restrictionProperties } } },
    next_page_token: { type: 'string', nullable: true },
  },
  required: ['items', 'next_page_token'],
} as const;

export const createContextBody = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    owner: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        slug: { type: 'string' },
        type: { type: 'string', enum: ['account', 'organization'] },
      },
      additionalProperties: false,
    },
  },
  required: ['name', 'owner'],
  additionalProperties: false,
} as const;

export const putEnvVarBody = {
  type: 'object',
  properties: { value: { type: 'string' } },
  required: ['value'],
  additionalProperties: false,
} as const;

export const createRestrictionBody = {
  type: 'object',
  properties: {
    restriction_type: { type: 'string', enum: ['project', 'expression', 'group'] },
    restriction_value: { type: 'string' },
  },
  required: ['restriction_type', 'restriction_value'],
  additionalProperties: false,
} as const;

export const listContextsQuery = {
  type: 'object',
  properties: {
    'owner-id': { type: 'string' },
    'owner-slug': { type: 'string' },
    'owner-type': { type: 'string', enum: ['account', 'organization'] },
    'page-token': { type: 'string' },
  },
} as const;

export const contextIdParams = { type: 'object', properties: { context_id: { type: 'string' } }, required: ['context_id'] } as const;
export const envVarParams = {
  type: 'object',
  properties: { context_id: { type: 'string' }, env_var_name: { type: 'string' } },
  required: ['context_id', 'env_var_name'],
} as const;
export const restrictionParams = {
  type: 'object',
  properties: { context_id: { type: 'string' }, restriction_id: { type: 'string' } },
  required: ['context_id', 'restriction_id'],
} as const;

export const responses = { ...errorResponses, 403: messageSchema, 409: messageSchema } as const;
