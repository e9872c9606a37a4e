// Orders several listings share, written once.
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Schema } from './schema.ts';

/** The tables whose rows carry `created_at` and `id`. */
type Chronological = { [T in keyof Schema]: Schema[T] extends { created_at: unknown; id: unknown } ? T : never }[keyof Schema];

/**
 * Oldest first, rows created at the same instant by id: the order rows were added in, stable
 * across pages and databases. For `.$call(oldestFirst)` on a query of one such table.
 */
export function oldestFirst<TB extends Chronological, O>(q: SelectQueryBuilder<Schema, TB, O>): SelectQueryBuilder<Schema, TB, O> {
  return q.orderBy(sql.ref('created_at')).orderBy(sql.ref('id'));
}
