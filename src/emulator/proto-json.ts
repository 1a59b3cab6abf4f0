// Structural views of protobuf-es v1 messages, so the emulator needs no direct @bufbuild import.
type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
interface FieldLike {
  readonly name: string;
  readonly jsonName: string;
  readonly kind: 'scalar' | 'enum' | 'message' | 'map';
  readonly repeated: boolean;
  readonly oneof?: unknown;
  readonly T?: unknown;
  readonly V?: { readonly kind: string; readonly T?: unknown };
}
interface MessageType {
  readonly fields: { list(): readonly FieldLike[] };
}
/** Any @livekit/protocol message. */
export interface ProtoMessage {
  getType(): MessageType;
  toJson(options?: { useProtoFieldName?: boolean; emitDefaultValues?: boolean }): unknown;
}

/**
 * Go's protojson emits fields in .proto declaration order; protobuf-es emits them in field-number
 * order. `fields.list()` keeps declaration order, so re-key each object by it. Go's `EmitUnpopulated`
 * also writes unset singular message fields as `null`, which protobuf-es leaves out.
 */
function reorder(
  type: MessageType,
  json: JsonValue,
  useProtoNames: boolean,
  emitDefaults: boolean,
): JsonValue {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const out: Record<string, JsonValue> = {};
  const seen = new Set<string>();
  for (const field of type.fields.list()) {
    const key = useProtoNames ? field.name : field.jsonName;
    seen.add(key);
    const value = json[key];
    if (value === undefined) {
      if (
        emitDefaults &&
        field.kind === 'message' &&
        !field.repeated &&
        field.oneof === undefined
      ) {
        out[key] = null;
      }
      continue;
    }
    if (field.kind === 'message') {
      const sub = field.T as MessageType;
      out[key] = Array.isArray(value)
        ? value.map((v) => reorder(sub, v, useProtoNames, emitDefaults))
        : reorder(sub, value, useProtoNames, emitDefaults);
    } else if (
      field.kind === 'map' &&
      field.V?.kind === 'message' &&
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value)
    ) {
      const sub = field.V.T as MessageType;
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, reorder(sub, v, useProtoNames, emitDefaults)]),
      );
    } else {
      out[key] = value;
    }
  }
  for (const [key, value] of Object.entries(json)) {
    if (!seen.has(key)) out[key] = value;
  }
  return out;
}

/**
 * Webhook body JSON exactly as Go `protojson.Marshal` writes it: lowerCamelCase keys, defaults
 * omitted, int64 as strings, enums by name, declaration order, raw UTF-8. With
 * `spaceAfterComma` it mimics Go's randomised `", "` separators (upstream test vector style).
 */
export function toWebhookJson(
  message: ProtoMessage,
  options: { spaceAfterComma?: boolean } = {},
): string {
  const type = message.getType();
  const json = reorder(type, message.toJson() as JsonValue, false, false);
  const compact = JSON.stringify(json);
  return options.spaceAfterComma === true ? addSpaceAfterCommas(compact) : compact;
}

/**
 * Twirp response JSON as livekit-server writes it (twirp defaults: `UseProtoNames`,
 * `EmitUnpopulated`): snake_case keys with every default emitted, unset messages as `null`.
 */
export function toTwirpJson(message: ProtoMessage): string {
  const type = message.getType();
  return JSON.stringify(
    reorder(
      type,
      message.toJson({ useProtoFieldName: true, emitDefaultValues: true }) as JsonValue,
      true,
      true,
    ),
  );
}

/** Adds a space after every structural comma (commas inside strings are left alone). */
export function addSpaceAfterCommas(compactJson: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < compactJson.length; i++) {
    const ch = compactJson[i] as string;
    out += ch;
    if (inString) {
      if (ch === '\\') {
        out += compactJson[i + 1] ?? '';
        i++;
      } else if (ch === '"') {
        inString = false;
      }
    } else if (ch === '"') {
      inString = true;
    } else if (ch === ',') {
      out += ' ';
    }
  }
  return out;
}
