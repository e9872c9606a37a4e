// JSON schemas of the Pipeline Definition and Trigger tags, shaped as CircleCI's spec.
import { BRANCH_PATTERN } from './project.ts';
import { parametersSchema } from '../../schemas/common.ts';
import { SUPPORTED_PRESETS } from '../../../engine/pipeline/trigger-match.ts';

/** CircleCI's event presets (circlet accepts SUPPORTED_PRESETS of them). */
export const EVENT_PRESETS = [
  'all-pushes',
  'only-tags',
  'default-branch-pushes',
  'only-build-prs',
  'only-open-prs',
  'only-labeled-prs',
  'only-merged-prs',
  'only-ready-for-review-prs',
  'only-branch-delete',
  'only-build-pushes-to-non-draft-prs',
  'only-merged-or-closed-prs',
] as const;
export { SUPPORTED_PRESETS };

/** A config file inside the repository: relative, no `..` segment, no control characters. */
const FILE_PATH_PATTERN = '^(?!/)(?!.*(^|/)\\.\\.(/|$))[^\\x00-\\x1f\\x7f\\\\]+$';
const filePath = { type: 'string', minLength: 1, maxLength: 255, pattern: FILE_PATH_PATTERN } as const;
const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
const externalRepo = { type: 'object', additionalProperties: false, properties: { external_id: text(255) }, required: ['external_id'] } as const;
const refName = { type: 'string', minLength: 1, maxLength: 255, pattern: BRANCH_PATTERN } as const;

const specList = { anyOf: [text(255), { type: 'array', maxItems: 50, items: text(255) }] } as const;
const onlyIgnore = { type: 'object', additionalProperties: false, properties: { only: specList, ignore: specList } } as const;
/** circlet extension: branch and tag filters of a trigger, as a job's `filters`. */
export const triggerFiltersSchema = { type: 'object', additionalProperties: false, properties: { branches: onlyIgnore, tags: onlyIgnore } } as const;

export const createDefinitionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: text(1024),
    config_source: {
      type: 'object',
      additionalProperties: false,
      properties: { provider: { type: 'string', enum: ['github_app', 'github_oauth', 'bitbucket_oauth', 'circleci'] }, repo: externalRepo, file_path: filePath },
      required: ['provider', 'file_path'],
    },
    checkout_source: {
      type: 'object',
      additionalProperties: false,
      properties: { provider: { type: 'string', enum: ['github_app', 'github_oauth', 'bitbucket_oauth', 'circleci'] }, repo: externalRepo },
      required: ['provider', 'repo'],
    },
  },
  required: ['name', 'config_source', 'checkout_source'],
} as const;

export const updateDefinitionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: text(1024),
    config_source: { type: 'object', additionalProperties: false, properties: { file_path: filePath } },
    checkout_source: {
      type: 'object',
      additionalProperties: false,
      properties: { provider: { type: 'string', enum: ['github_app', 'github_oauth', 'bitbucket_oauth', 'circleci'] }, repo: { type: 'object', additionalProperties: false, properties: { external_id: text(255) } } },
    },
  },
} as const;

const repoOut = { type: 'object', properties: { full_name: { type: 'string' }, external_id: { type: 'string' } } } as const;

export const definitionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    config_source: { type: 'object', properties: { provider: { type: 'string' }, repo: repoOut, file_path: { type: 'string' } } },
    checkout_source: { type: 'object', properties: { provider: { type: 'string' }, repo: repoOut } },
  },
  required: ['id', 'name', 'created_at', 'config_source', 'checkout_source'],
} as const;

const triggerCommon = {
  event_preset: { type: 'string', enum: EVENT_PRESETS },
  checkout_ref: refName,
  config_ref: refName,
  event_name: text(255),
  disabled: { type: 'boolean' },
  filters: triggerFiltersSchema,
  parameters: parametersSchema,
} as const;

export const createTriggerBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    event_source: {
      type: 'object',
      additionalProperties: false,
      properties: {
        provider: { type: 'string', minLength: 1, maxLength: 64 },
        repo: externalRepo,
        webhook: { type: 'object', additionalProperties: false, properties: { sender: text(255) } },
      },
      required: ['provider'],
    },
    ...triggerCommon,
  },
  required: ['event_source'],
} as const;

export const updateTriggerBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...triggerCommon,
    event_source: {
      type: 'object',
      additionalProperties: false,
      properties: { webhook: { type: 'object', additionalProperties: false, properties: { sender: text(255) } } },
    },
  },
} as const;

export const triggerSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    event_name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    event_source: { type: 'object', properties: { provider: { type: 'string' }, repo: repoOut } },
    event_preset: { type: 'string' },
    checkout_ref: { type: 'string' },
    config_ref: { type: 'string' },
    disabled: { type: 'boolean' },
    filters: { type: 'object', additionalProperties: true },
    parameters: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'created_at', 'event_source', 'disabled'],
} as const;

export const projectIdParams = { type: 'object', properties: { project_id: { type: 'string' } }, required: ['project_id'] } as const;
export const definitionParams = {
  type: 'object',
  properties: { project_id: { type: 'string' }, pipeline_definition_id: { type: 'string' } },
  required: ['project_id', 'pipeline_definition_id'],
} as const;
export const triggerParams = { type: 'object', properties: { project_id: { type: 'string' }, trigger_id: { type: 'string' } }, required: ['project_id', 'trigger_id'] } as const;
