/** One LiveKit API key and its secret. The secret must never be logged or echoed. */
export interface LiveKitKeyPair {
  readonly apiKey: string;
  readonly apiSecret: string;
}

export type ParsedKeys =
  | { ok: true; pairs: LiveKitKeyPair[] }
  /** `message` never quotes a secret: it names lines and, at most, keys. */
  | { ok: false; message: string };

/** livekit-server's own hint when `LIVEKIT_KEYS` does not parse (pkg/config/config.go). */
const FORMAT_HINT =
  'must be "key: secret" pairs, one per line, including the space after the colon';

/**
 * YAML scalars that livekit-server's YAML decoder (gopkg.in/yaml.v3) resolves to something other
 * than a string: null, booleans and numbers. livekit-server silently drops such a key
 * (`unmarshalKeys` keeps only string values); here they are refused, so that a key the operator
 * listed is never silently unusable.
 */
const NON_STRING_SCALAR =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/**
 * Parses `LIVEKIT_KEYS` as livekit-server reads it (`--keys` / `LIVEKIT_KEYS`, "api keys (key:
 * secret\n)"): a YAML mapping of API key to secret, decoded with gopkg.in/yaml.v3 in
 * `Config.unmarshalKeys`. Accepted here is the part of YAML that such a mapping is written in:
 *
 * - block form, one `key: secret` per line (`APIabc: s3cr3t`), blank lines and `#` comments
 *   allowed, whitespace around the pair ignored;
 * - flow form on one line, `{APIabc: s3cr3t, APIdef: other}`, for environments where a value
 *   cannot hold a newline;
 * - keys and secrets plain, 'single-quoted' (`''` is a quote) or "double-quoted" (JSON escapes).
 *
 * As in YAML, `key:secret` without the space is not a pair, a key listed twice is an error, and a
 * value YAML reads as null, a boolean or a number is not a secret. Pairs keep their order.
 */
export function parseLivekitKeys(text: string): ParsedKeys {
  const trimmed = text.trim();
  const items = trimmed.startsWith('{') ? splitFlow(trimmed) : splitBlock(text);
  if (items === null) return { ok: false, message: FORMAT_HINT };
  const pairs: LiveKitKeyPair[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const pair = parsePair(item.text);
    if (pair === null) return { ok: false, message: `${FORMAT_HINT} (${item.where} is not)` };
    if (seen.has(pair.apiKey)) {
      return { ok: false, message: `lists the same key twice (${item.where})` };
    }
    if (pair.apiSecret === null) {
      return {
        ok: false,
        message: `${item.where}: the secret is empty, or YAML reads it as null, a boolean or a number (quote it)`,
      };
    }
    seen.add(pair.apiKey);
    pairs.push({ apiKey: pair.apiKey, apiSecret: pair.apiSecret });
  }
  if (pairs.length === 0) return { ok: false, message: FORMAT_HINT };
  return { ok: true, pairs };
}

interface Item {
  text: string;
  /** Where the item is, for messages: `line 2` or `pair 2`. */
  where: string;
}

function splitBlock(text: string): Item[] {
  const items: Item[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const content = stripComment(line).trim();
    if (content !== '') items.push({ text: content, where: `line ${i + 1}` });
  });
  return items;
}

/** `{a: b, c: d}` split at top-level commas; null when the braces do not close the text. */
function splitFlow(text: string): Item[] | null {
  if (!text.endsWith('}')) return null;
  const inner = text.slice(1, -1);
  const parts: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (quote !== null) {
      current += ch;
      if (quote === '"' && ch === '\\' && i + 1 < inner.length) current += inner[++i]!;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else if (ch === '{' || ch === '}' || ch === '[' || ch === ']') {
      return null;
    } else {
      current += ch;
    }
  }
  if (quote !== null) return null;
  parts.push(current);
  const items = parts.map((p, i) => ({ text: p.trim(), where: `pair ${i + 1}` }));
  // A trailing comma is allowed in YAML flow mappings; an empty pair elsewhere is not.
  if (items.length > 0 && items[items.length - 1]!.text === '') items.pop();
  return items.some((item) => item.text === '') ? null : items;
}

/** A `#` starts a comment at the start of a line or after whitespace, outside quotes. */
function stripComment(line: string): string {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== null) {
      if (quote === '"' && ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** `key: secret` with each side plain or quoted; secret null when YAML would not read a string. */
function parsePair(text: string): { apiKey: string; apiSecret: string | null } | null {
  const key = readScalar(text, 'key');
  if (key === null || key.value === '') return null;
  const rest = text.slice(key.end);
  // YAML's mapping indicator is a colon followed by a space (or the end of the line).
  const sep = /^\s*:(?:\s+|$)/.exec(rest);
  if (sep === null) return null;
  const valueText = rest.slice(sep[0].length);
  if (valueText === '') return { apiKey: key.value, apiSecret: null };
  const value = readScalar(valueText, 'value');
  if (value === null || valueText.slice(value.end).trim() !== '') return null;
  if (!value.quoted && (value.value === '' || NON_STRING_SCALAR.test(value.value))) {
    return { apiKey: key.value, apiSecret: null };
  }
  return { apiKey: key.value, apiSecret: value.value };
}

/** A quoted or plain scalar at the start of `text`; `end` is where it stops. */
function readScalar(
  text: string,
  role: 'key' | 'value',
): { value: string; end: number; quoted: boolean } | null {
  const first = text[0];
  if (first === "'") {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      if (text[i] !== "'") out += text[i];
      else if (text[i + 1] === "'") {
        out += "'";
        i++;
      } else return { value: out, end: i + 1, quoted: true };
    }
    return null;
  }
  if (first === '"') {
    for (let i = 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') {
        try {
          return { value: JSON.parse(text.slice(0, i + 1)) as string, end: i + 1, quoted: true };
        } catch {
          return null;
        }
      }
    }
    return null;
  }
  // Plain scalars may not start with YAML indicators.
  if (first === undefined || /[-?:,[\]{}#&*!|>%@`]/.test(first)) {
    // A plain scalar may start with `-`, `?` or `:` when a non-space follows (`-abc`).
    if (!(first !== undefined && '-?:'.includes(first) && /\S/.test(text[1] ?? ' '))) return null;
  }
  if (role === 'key') {
    const m = /:(?:\s|$)/.exec(text);
    const end = m === null ? text.length : m.index;
    return { value: text.slice(0, end).trimEnd(), end, quoted: false };
  }
  // A value runs to the end; `: ` inside it would be a nested mapping in YAML.
  if (/:(?:\s|$)/.test(text)) return null;
  return { value: text.trimEnd(), end: text.length, quoted: false };
}
