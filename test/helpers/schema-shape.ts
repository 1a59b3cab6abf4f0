/** A JSON Schema as route schemas write them (the subset they use). */
interface Schema {
  type?: string | readonly string[];
  properties?: Record<string, Schema>;
  required?: readonly string[];
  items?: Schema;
  enum?: readonly unknown[];
  /** OpenAPI 3.0's spelling of `type: [T, 'null']`. */
  nullable?: boolean;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Every way `value` departs from `schema`: a key the schema does not name, a required key
 * missing, a wrong type, a value outside an enum. For answers a route serialises itself (not
 * through the schema's serializer), so that the documented shape and the bytes cannot drift.
 */
export function shapeProblems(value: unknown, schema: Schema, path = '$'): string[] {
  const problems: string[] = [];
  const types = schema.type === undefined ? [] : [schema.type].flat();
  const actual = typeOf(value);
  const typeOk =
    types.length === 0 ||
    types.includes(actual) ||
    (actual === 'null' && schema.nullable === true) ||
    (actual === 'integer' && types.includes('number'));
  if (!typeOk) return [`${path}: ${actual}, schema says ${types.join('|')}`];
  if (schema.enum && !schema.enum.includes(value) && !(value === null && schema.nullable))
    problems.push(`${path}: ${String(value)} not in enum`);
  if (actual === 'object' && schema.properties) {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in record)) problems.push(`${path}.${key}: missing`);
    }
    for (const [key, v] of Object.entries(record)) {
      const sub = schema.properties[key];
      if (sub === undefined) problems.push(`${path}.${key}: not in the schema`);
      else problems.push(...shapeProblems(v, sub, `${path}.${key}`));
    }
  }
  if (actual === 'array' && schema.items) {
    (value as unknown[]).forEach((v, i) =>
      problems.push(...shapeProblems(v, schema.items!, `${path}[${i}]`)),
    );
  }
  return problems;
}
