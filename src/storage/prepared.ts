// Hot queries built and compiled once per dialect: a call only fills its arguments into the
// compiled statement (Kysely's building and compiling cost about twice the query itself on
// SQLite, where better-sqlite3 statements are cached by SQL text in db.ts).
//
// The query is built the first time with a placeholder for each argument; the compiled
// parameters that are placeholders are replaced on every call, the others (constants the
// query itself names) are kept. So a build function must use its arguments only as values
// (no branching on them, no arrays): write one prepared query per shape.
import type { CompiledQuery, Compilable } from 'kysely';
import { isPostgres, type Db } from './executor.ts';

const PLACEHOLDER = '\u0000circlet-prepared-argument:';

interface Template {
  query: CompiledQuery;
  /** For each compiled parameter: the index of the argument it is, or -1 for a constant. */
  slots: number[];
}

export type PreparedQuery<A extends unknown[], R> = (db: Db, ...args: A) => Promise<R[]>;

export function prepared<A extends unknown[], R>(build: (db: Db, ...args: A) => Compilable<R>): PreparedQuery<A, R> {
  const templates: { postgres?: Template; sqlite?: Template } = {};
  const compile = (db: Db, arity: number): Template => {
    const placeholders = Array.from({ length: arity }, (_, i) => PLACEHOLDER + i) as unknown as A;
    const query = build(db, ...placeholders).compile();
    const slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(PLACEHOLDER) ? Number(p.slice(PLACEHOLDER.length)) : -1));
    for (let i = 0; i < arity; i++) if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} is not a parameter of ${query.sql}`);
    return { query, slots };
  };
  return async (db, ...args) => {
    const dialect = isPostgres(db) ? 'postgres' : 'sqlite';
    const t = (templates[dialect] ??= compile(db, args.length));
    const parameters = t.slots.map((slot, i) => (slot === -1 ? t.query.parameters[i] : args[slot]));
    const result = await db.executeQuery<R>({ ...t.query, parameters } as CompiledQuery<R>);
    return result.rows;
  };
}

/** The first row of a prepared query, or undefined. */
export function preparedFirst<A extends unknown[], R>(build: (db: Db, ...args: A) => Compilable<R>): (db: Db, ...args: A) => Promise<R | undefined> {
  const run = prepared(build);
  return async (db, ...args) => (await run(db, ...args))[0];
}
