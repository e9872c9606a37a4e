// Time and identifiers, in one place so tests and storage agree on their format.
import crypto from 'node:crypto';

/** ISO-8601 UTC with milliseconds; sorts lexicographically in both databases. */
export function nowIso(date: Date = new Date()): string {
  return date.toISOString();
}

export function newId(): string {
  return crypto.randomUUID();
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
