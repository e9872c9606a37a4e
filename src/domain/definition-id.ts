// Ids of a project's default pipeline definition and trigger: name-based, so the default
// definition every project has (backfilled by migration 0014) keeps the id it was always
// answered with.
import crypto from 'node:crypto';

const DEFINITION_NAMESPACE = 'a4c1f0e2-5b3d-4c8e-9f61-2d7b0e9c3a55';

/** A name-based (version 5, SHA-1) UUID, as RFC 9562 §5.5 defines it. */
export function uuidV5(name: string, namespace: string): string {
  const hash = crypto
    .createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of a project's default pipeline definition (`.circleci/config.yml`). */
export function defaultDefinitionId(projectId: string): string {
  return uuidV5(`${projectId}/default`, DEFINITION_NAMESPACE);
}

/** The id of the default definition's trigger: the project's forge webhook, every event. */
export function defaultTriggerId(projectId: string): string {
  return uuidV5(`${projectId}/default-trigger`, DEFINITION_NAMESPACE);
}

/** The config file of a project's default pipeline definition. */
export const DEFAULT_CONFIG_PATH = '.circleci/config.yml';
