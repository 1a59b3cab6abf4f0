import { CompiledQuery } from 'kysely';

/** SQL text → statement name, and the names taken, for every statement made with preparedStatement. */
const names = new Map<string, string>();
const taken = new Set<string>();

/**
 * A statement that BeginWithFirstStatementDriver runs as a named prepared statement: PostgreSQL
 * parses and plans it once per connection instead of on every call. For fixed texts only (bulk
 * writes through `unnest` of arrays, so the text is the same whatever the batch size); `name`
 * must be unique. PostgreSQL re-plans a prepared statement by itself when a table it reads
 * changes (a migration), so preparing never serves a stale plan.
 */
export function preparedStatement(
  name: string,
  text: string,
): (parameters: readonly unknown[]) => CompiledQuery {
  const known = names.get(text);
  if (known !== undefined && known !== name) {
    throw new Error(`statement ${name} has the text of ${known}`);
  }
  if (known === undefined && taken.has(name)) {
    throw new Error(`two prepared statements are named ${name}`);
  }
  names.set(text, name);
  taken.add(name);
  return (parameters) => CompiledQuery.raw(text, [...parameters]);
}

/** The name to prepare `sql` under, or undefined for a statement sent as it is. */
export function preparedStatementName(sql: string): string | undefined {
  return names.get(sql);
}
