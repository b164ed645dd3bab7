/**
 * JSON Schema (as `z.toJSONSchema` writes it) to the subset node-llama-cpp can turn into a GBNF grammar
 * (`GbnfJsonSchema`: type, enum, const, oneOf, properties/required/additionalProperties, items/minItems/maxItems,
 * string minLength/maxLength/date formats). What the grammar cannot hold is either approximated so the
 * answer still validates, or dropped and left to the zod validation after parsing (src/llm/structured.ts):
 *
 * - a number bounded on both sides (`minimum`/`maximum`, e.g. a confidence in [0, 1]) becomes an enum of 21
 *   evenly spaced values, because a grammar cannot bound a number and a 1B model otherwise answers 95 for a
 *   probability; an integer range of at most 201 values becomes the enum of those integers;
 * - `pattern`, other string formats, `multipleOf`, one-sided bounds: dropped (the zod schema still checks them);
 * - `allOf`, `not`, `if/then`, `$ref`: not supported; `toGbnfJsonSchema` throws and the caller falls back to the
 *   generic JSON grammar (still always-parseable JSON, validated by zod afterwards).
 *
 * Own code (no library converts JSON Schema to node-llama-cpp's subset); small and tested in
 * test/llm/gbnf-schema.test.ts.
 */

type Json = Record<string, unknown>;

/** A JSON Schema construct the grammar subset cannot express. */
export class UnsupportedSchemaError extends Error {}

const GRID_STEPS = 20;

function round(n: number): number {
  return Number(n.toPrecision(6));
}

function boundedNumber(s: Json, integer: boolean): Json | undefined {
  const lo = typeof s.minimum === 'number' ? s.minimum : (s.exclusiveMinimum as number | undefined);
  const hi = typeof s.maximum === 'number' ? s.maximum : (s.exclusiveMaximum as number | undefined);
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(hi >= lo)) return undefined;
  const okLo = (v: number) => (typeof s.minimum === 'number' ? v >= lo : v > lo);
  const okHi = (v: number) => (typeof s.maximum === 'number' ? v <= hi : v < hi);
  let values: number[];
  if (integer) {
    const a = Math.ceil(lo);
    const b = Math.floor(hi);
    if (b - a > 200) return undefined;
    values = [];
    for (let v = a; v <= b; v++) values.push(v);
  } else {
    values = [];
    for (let i = 0; i <= GRID_STEPS; i++) values.push(round(lo + ((hi - lo) * i) / GRID_STEPS));
  }
  values = [...new Set(values.filter((v) => okLo(v) && okHi(v)))];
  return values.length > 0 ? { enum: values } : undefined;
}

/**
 * Converts one JSON Schema node to node-llama-cpp's grammar subset (see the module comment).
 * Throws UnsupportedSchemaError for constructs it cannot express.
 */
export function toGbnfJsonSchema(schema: unknown): Json {
  if (schema === true || schema === undefined) return { type: ['string', 'number', 'boolean', 'null'] };
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new UnsupportedSchemaError(`not a schema: ${JSON.stringify(schema)}`);
  }
  const s = schema as Json;
  const description = typeof s.description === 'string' ? { description: s.description } : {};
  for (const k of ['allOf', 'not', 'if', '$ref']) {
    if (k in s) throw new UnsupportedSchemaError(`JSON Schema "${k}" has no grammar equivalent here`);
  }
  if (Array.isArray(s.enum)) return { enum: s.enum, ...description };
  if ('const' in s) return { const: s.const, ...description };
  const alts = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(alts)) return { oneOf: alts.map((a) => toGbnfJsonSchema(a)), ...description };

  const type = s.type;
  if (Array.isArray(type)) {
    if (type.every((t) => ['string', 'number', 'integer', 'boolean', 'null'].includes(t as string))) {
      return { type, ...description };
    }
    return { oneOf: type.map((t) => toGbnfJsonSchema({ ...s, type: t })), ...description };
  }
  switch (type) {
    case 'string': {
      if (s.format === 'date-time' || s.format === 'date' || s.format === 'time') {
        return { type: 'string', format: s.format, ...description };
      }
      return {
        type: 'string',
        ...(typeof s.minLength === 'number' ? { minLength: s.minLength } : {}),
        ...(typeof s.maxLength === 'number' ? { maxLength: s.maxLength } : {}),
        ...description,
      };
    }
    case 'number':
    case 'integer':
      return { ...(boundedNumber(s, type === 'integer') ?? { type }), ...description };
    case 'boolean':
    case 'null':
      return { type, ...description };
    case 'array': {
      const out: Json = { type: 'array', ...description };
      if (s.items !== undefined) out.items = toGbnfJsonSchema(s.items);
      if (Array.isArray(s.prefixItems)) out.prefixItems = s.prefixItems.map((p) => toGbnfJsonSchema(p));
      if (typeof s.minItems === 'number') out.minItems = s.minItems;
      if (typeof s.maxItems === 'number') out.maxItems = s.maxItems;
      return out;
    }
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const keys = Object.keys(props);
      const out: Json = { type: 'object', ...description };
      if (keys.length > 0) {
        out.properties = Object.fromEntries(keys.map((k) => [k, toGbnfJsonSchema(props[k])]));
        out.required = Array.isArray(s.required) ? s.required.filter((r) => keys.includes(r as string)) : [];
        out.additionalProperties = false;
      } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        out.additionalProperties = toGbnfJsonSchema(s.additionalProperties);
      } else {
        out.additionalProperties = s.additionalProperties !== false;
      }
      return out;
    }
    default:
      throw new UnsupportedSchemaError(`JSON Schema without a supported "type" (${JSON.stringify(type)})`);
  }
}
