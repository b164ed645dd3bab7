/**
 * Fuzzed HTTP requests for every route of the server's OpenAPI document (issue 14: no 5xx from client
 * mistakes), as fast-check arbitraries. Used by the in-suite property test (`app.inject`) and by
 * `bench/fuzz-api.ts` (real HTTP), so both send the same kinds of requests.
 *
 * What a request can hold, route by route: JSON bodies built from the route's schema with fields of the
 * right type, of a wrong type, missing or extra (prototype keys included); random JSON; JSON that is
 * truncated, empty, or holds numbers no double can hold; multipart forms, well formed or broken; odd
 * content types (text/plain, x-www-form-urlencoded, XML, octet-stream, a missing boundary); path and
 * query parameters that are very long, unicode, `..`, percent-garbage or out of range; the documented
 * method or another; and an API key that is valid, narrow, forged, or absent.
 *
 * Written here rather than taken from a schema-to-fuzzer library: those generate *valid* requests from
 * the OpenAPI document, while this needs mostly invalid ones, mixed with valid ones so that the handlers
 * behind validation run too.
 */
import fc from 'fast-check';

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  nullable?: boolean;
  format?: string;
};

/** One documented operation, as read from the OpenAPI document. */
export interface RouteSpec {
  /** `POST`, `GET`, ... */
  method: string;
  /** The OpenAPI path, `/api/reviews/{id}`. */
  path: string;
  pathParams: { name: string; schema: Schema }[];
  query: { name: string; schema: Schema }[];
  /** Request body schema by content type (`application/json`, `multipart/form-data`). */
  bodies: Record<string, Schema>;
}

/** A request ready to send with `app.inject` or `node:http`. */
export interface FuzzRequest {
  /** The documented route it aims at (`POST /api/analyze`), or `stray` for an undocumented path. */
  route: string;
  method: string;
  /** Path and query, every byte in 0x21-0x7e (percent-encoded where needed), so any HTTP client sends it as is. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** What the generator may use besides random data. */
export interface FuzzOptions {
  /** Internal: build only requests the schema accepts (valid key, documented method and content type). */
  strict?: boolean;
  /** API keys: `full` has every scope the routes need; `narrow` lacks some (403s). */
  keys?: { full: string; narrow?: string };
  /** Real photos (JPEG/PNG bytes), so that photo paths past decoding run too. */
  photos?: Buffer[];
  /** Values that exist on the server (review and photo ids, model names), tried as path parameters (never by DELETE). */
  knownValues?: string[];
}

/** The documented operations of an OpenAPI 3 document (`app.swagger()`). */
export function routesOf(doc: { paths?: Record<string, Record<string, unknown>> }): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, raw] of Object.entries(ops)) {
      const op = raw as {
        parameters?: { in: string; name: string; schema?: Schema }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      };
      const params = op.parameters ?? [];
      const bodies: Record<string, Schema> = {};
      for (const [type, c] of Object.entries(op.requestBody?.content ?? {})) bodies[type] = c.schema ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        bodies,
      });
    }
  }
  return out;
}

/** A JSON token spliced into a body as is: numbers beyond a double, `-0`, and the like. */
class RawJson {
  constructor(readonly text: string) {}
}
/** A file part of a multipart form. */
class FilePart {
  constructor(
    readonly bytes: Buffer,
    readonly filename: string,
    readonly type: string,
  ) {}
}
type Value = unknown;
type Entries = [string, Value][];

/** A 1x1 PNG: the smallest photo that decodes. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '-0',
  '1E-400',
  '9007199254740993',
  '0.0000000000000000000000001',
];

const ODD_STRINGS = [
  '',
  ' ',
  '\t\n',
  '..',
  '../..',
  '../../etc/passwd',
  '.',
  '%',
  '%zz',
  '%00',
  '%2e%2e',
  '%2F',
  '\u0000',
  '\ufeff',
  '\u202e',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '1',
  '2',
  '3',
  '1.5',
  '1e309',
  '99999999999999999999',
  '-99999999999999999999',
  '0x10',
  "1' OR '1'='1",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '😀🔥',
  'ﷺ',
  'ǅ',
];

/** Any string: printable, any code point, or one of the odd ones above. */
function anyString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom(100, 1000, 6000).map((n) => 'a'.repeat(n)) },
  );
}

/** A value that is usually of the wrong type for any field. */
const oddValue: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...RAW_NUMBERS).map((t) => new RawJson(t)),
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324),
  anyString(),
  fc.constant([]),
  fc.constant({}),
  fc.constantFrom(50, 500).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as Value),
);

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (typeof s.type === 'string') return [s.type];
  if (s.properties) return ['object'];
  return [];
}

/** A base64 photo field: real photos, the tiny PNG, data URLs, random bytes, text that is not base64. */
function base64Value(opts: FuzzOptions): fc.Arbitrary<string> {
  const photos = [TINY_PNG, ...(opts.photos ?? [])];
  if (opts.strict) {
    return fc.oneof(
      fc.constantFrom(...photos).map((b) => b.toString('base64')),
      fc.constantFrom(...photos).map((b) => `data:image/jpeg;base64,${b.toString('base64')}`),
    );
  }
  return fc.oneof(
    fc.constantFrom(...photos).map((b) => b.toString('base64')),
    fc.constantFrom(...photos).map((b) => `data:image/png;base64,${b.toString('base64')}`),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')),
    fc.constantFrom(...photos).map((b) => b.subarray(0, Math.ceil(b.length / 2)).toString('base64')),
    fc.constantFrom('!!!', '====', 'data:image/png;base64,', 'data:,', 'QUJD', 'a', '-_-_'),
    anyString(),
  );
}

/** A file for a multipart `format: binary` field. */
function fileValue(opts: FuzzOptions): fc.Arbitrary<FilePart> {
  const photos = [TINY_PNG, ...(opts.photos ?? [])];
  if (opts.strict) return fc.constantFrom(...photos).map((b) => new FilePart(b, 'photo.jpg', 'image/jpeg'));
  return fc
    .record({
      bytes: fc.oneof(
        fc.constantFrom(...photos),
        fc.constantFrom(...photos).map((b) => b.subarray(0, Math.ceil(b.length / 3))),
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.alloc(0)),
        fc.constantFrom('GIF89a', '\x89PNG\r\n\x1a\n', '<svg/>', 'plain text').map((s) => Buffer.from(s, 'latin1')),
      ),
      filename: fc.oneof(fc.constantFrom('photo.jpg', 'x.png', '', '../../x.jpg', 'a"b.jpg'), anyString(20)),
      type: fc.constantFrom('image/jpeg', 'image/png', 'application/octet-stream', 'text/plain', ''),
    })
    .map((f) => new FilePart(f.bytes, f.filename, f.type));
}

/** A value the schema accepts, most of the time; fields named like photos get photo-like values. */
function validValue(name: string, s: Schema, opts: FuzzOptions, depth: number): fc.Arbitrary<Value> {
  if (s.format === 'binary') return fileValue(opts);
  if (/base64/.test(name)) return base64Value(opts);
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  if (/date/.test(name) && typesOf(s).includes('string')) return dateValue(s);
  const types = typesOf(s).filter((t) => depth < 3 || (t !== 'object' && t !== 'array'));
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  const arbs = types.map((t): fc.Arbitrary<Value> => {
    switch (t) {
      case 'string':
        if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
        return fc.oneof(
          {
            weight: 4,
            arbitrary: fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 60, 60) }),
          },
          {
            weight: 1,
            arbitrary: fc.string({
              unit: 'binary',
              minLength: s.minLength ?? 0,
              maxLength: Math.min(s.maxLength ?? 60, 60),
            }),
          },
          { weight: 1, arbitrary: fc.lorem({ maxCount: 30, mode: 'sentences' }) },
        );
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
      case 'number':
        return fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true, min: s.minimum ?? -1e6, max: s.maximum ?? 1e6 }),
          fc.integer({ min: -10, max: 10 }),
        );
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(fieldValue(`${name}[]`, s.items ?? {}, opts, depth + 1), {
          maxLength: Math.min(s.maxItems ?? 4, 4),
        });
      case 'object':
        return objectEntries(s, opts, depth + 1).map(entriesToObject);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  });
  const all = s.nullable ? [...arbs, fc.constant(null)] : arbs;
  return fc.oneof(...all);
}

/** A date field: ISO dates and times, impossible and far-off ones, and other text. */
function dateValue(s: Schema): fc.Arbitrary<Value> {
  return fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc
      .date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2100-01-01') })
      .map((d) => d.toISOString().slice(0, 10)),
    fc.constantFrom('2026-02-30', '2026-13-01', '0000-00-00', '9999-12-31T23:59:60Z', '+275760-09-13', 'yesterday'),
    fc.string({ maxLength: 30 }),
    ...(s.nullable || typesOf(s).includes('null') ? [fc.constant(null)] : []),
  );
}

/** A value for a field: usually valid, sometimes of a wrong type or odd (always valid when strict). */
function fieldValue(name: string, s: Schema, opts: FuzzOptions, depth: number): fc.Arbitrary<Value> {
  if (opts.strict) return validValue(name, s, opts, depth);
  return fc.oneof({ weight: 4, arbitrary: validValue(name, s, opts, depth) }, { weight: 1, arbitrary: oddValue });
}

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'a.b', '$where'];

/**
 * The fields of an object body: each declared field present or not (required ones mostly present), with
 * a value from `fieldValue`, plus sometimes extra fields. Kept as entries so `__proto__` survives.
 */
function objectEntries(s: Schema, opts: FuzzOptions, depth: number): fc.Arbitrary<Entries> {
  const required = new Set(s.required ?? []);
  if (opts.strict) {
    const fields = Object.entries(s.properties ?? {}).map(([name, fs]) => {
      const one = validValue(name, fs, opts, depth).map((v): Entries => [[name, v]]);
      return required.has(name) ? one : fc.oneof(one, fc.constant<Entries>([]));
    });
    return fc.tuple(...fields).map((fs) => (fs as Entries[]).flat());
  }
  const fields = Object.entries(s.properties ?? {}).map(([name, fs]) =>
    fc.oneof(
      { weight: required.has(name) ? 8 : 3, arbitrary: fieldValue(name, fs, opts, depth).map((v) => [[name, v]]) },
      { weight: 1, arbitrary: fc.constant([]) },
      // The same field twice: JSON parsers keep the last, multipart readers see both.
      {
        weight: 1,
        arbitrary: fc.tuple(fieldValue(name, fs, opts, depth), fieldValue(name, fs, opts, depth)).map(([a, b]) => [
          [name, a],
          [name, b],
        ]),
      },
    ),
  );
  const extras = fc.oneof(
    { weight: 4, arbitrary: fc.constant([]) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), anyString(12)), oddValue), {
        maxLength: 3,
      }),
    },
  );
  return fc.tuple(fc.tuple(...fields), extras).map(([fs, ex]) => [...(fs as Entries[]).flat(), ...(ex as Entries)]);
}

function entriesToObject(entries: Entries): Record<string, Value> {
  const o: Record<string, Value> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** JSON text, splicing RawJson tokens in; keys such as `__proto__` are written like any other. */
function toJson(v: Value): string {
  if (v instanceof RawJson) return v.text;
  if (v instanceof FilePart) return JSON.stringify(v.bytes.toString('base64'));
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${toJson((v as Record<string, Value>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A JSON object from entries, duplicate keys kept. */
function entriesJson(entries: Entries): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
}

function asText(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof RawJson) return v.text;
  return toJson(v);
}

function multipart(entries: Entries, boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const [k, v] of entries) {
    if (v instanceof FilePart) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${k}"; filename="${v.filename}"\r\n` +
            (v.type ? `Content-Type: ${v.type}\r\n` : '') +
            '\r\n',
        ),
        v.bytes,
        Buffer.from('\r\n'),
      );
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${asText(v)}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

interface Body {
  type?: string;
  body?: Buffer;
}

const BROKEN_JSON = [
  '{',
  '}',
  '{"text":',
  '{"text": "unterminated',
  '[1,2',
  'nul',
  "{'text': 'single quotes'}",
  '{"a":1,}',
  '\ufeff{"text":"bom"}',
  '{"text":"a"}{"text":"b"}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '"just a string"',
  '12',
  'null',
  'true',
  '[]',
  '\u0000',
  '{"text":"\\ud800"}',
  '{"text":"\\u00"}',
  `${'['.repeat(20000)}${']'.repeat(20000)}`,
  `{"items":[${'{"text":"a"},'.repeat(200)}{"text":"a"}]}`,
];

const ODD_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;',
  'application/vnd.api+json',
  'application/problem+json',
  'image/png',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary="unclosed',
  'multipart/mixed; boundary=x',
  ';;;',
  'application',
  '*/*',
  'text/html',
];

/** A body for the route: by its own content types mostly, broken or of another type sometimes. */
function bodyArb(route: RouteSpec, opts: FuzzOptions): fc.Arbitrary<Body> {
  const json = route.bodies['application/json'];
  const form = route.bodies['multipart/form-data'];
  const jsonEntries = objectEntries(json ?? { type: 'object', properties: {} }, opts, 0);
  const formEntries = objectEntries(form ?? json ?? { type: 'object', properties: {} }, opts, 0);
  const jsonBody = (text: string, type = 'application/json'): Body => ({ type, body: Buffer.from(text) });
  const boundary = fc.oneof(fc.constant('----fuzz7d3a'), fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/));
  const hasBody = Object.keys(route.bodies).length > 0;
  if (opts.strict) {
    const valid: fc.Arbitrary<Body>[] = [];
    if (json) valid.push(jsonEntries.map((e) => jsonBody(entriesJson(e))));
    if (form)
      valid.push(formEntries.map((e) => ({ type: `multipart/form-data; boundary=x1`, body: multipart(e, 'x1') })));
    return valid.length > 0 ? fc.oneof(...valid) : fc.constant<Body>({});
  }
  return fc.oneof(
    { weight: json ? 8 : 1, arbitrary: jsonEntries.map((e) => jsonBody(entriesJson(e))) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => jsonBody(JSON.stringify(v))) },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_JSON).map((t) => jsonBody(t)) },
    {
      weight: 1,
      arbitrary: jsonEntries.chain((e) => {
        const t = entriesJson(e);
        return fc.nat({ max: Math.max(0, t.length - 1) }).map((n) => jsonBody(t.slice(0, n)));
      }),
    },
    // An empty body with a JSON content type, and no body at all.
    { weight: 1, arbitrary: fc.constant<Body>({ type: 'application/json', body: Buffer.alloc(0) }) },
    { weight: hasBody ? 1 : 3, arbitrary: fc.constant<Body>({}) },
    {
      weight: form ? 6 : 1,
      arbitrary: fc
        .tuple(formEntries, boundary)
        .map(([e, b]) => ({ type: `multipart/form-data; boundary=${b}`, body: multipart(e, b) })),
    },
    // Broken multipart: truncated, the wrong boundary, no closing boundary, garbage.
    {
      weight: form ? 4 : 1,
      arbitrary: fc
        .tuple(formEntries, boundary, fc.nat(), fc.constantFrom('truncate', 'wrong-boundary', 'unclosed', 'garbage'))
        .map(([e, b, n, how]): Body => {
          const full = multipart(e, b);
          const type = `multipart/form-data; boundary=${b}`;
          if (how === 'truncate') return { type, body: full.subarray(0, n % Math.max(1, full.length)) };
          if (how === 'wrong-boundary') return { type: `multipart/form-data; boundary=x${b}`, body: full };
          if (how === 'unclosed') return { type, body: full.subarray(0, full.length - b.length - 6) };
          return { type, body: Buffer.from(`--${b}\r\nContent-Disposition: nonsense\r\n\r\n\u0000\u0001\r\n`) };
        }),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...ODD_TYPES),
          fc.oneof(
            jsonEntries.map(entriesJson),
            formEntries.map((e) => e.map(([k, v]) => `${component(k)}=${component(asText(v))}`).join('&')),
            anyString(200),
            fc.constantFrom(...BROKEN_JSON),
          ),
        )
        .map(([type, text]) => ({ type, body: Buffer.from(text) })),
    },
  );
}

/** Lone surrogates (which encodeURIComponent refuses) replaced by U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Percent-encodes what HTTP cannot carry raw (bytes outside 0x21-0x7e, and `#`), leaving `..`, `%`, `/` as they are. */
function rawEncode(s: string): string {
  let out = '';
  for (const ch of wellFormed(s)) {
    const c = ch.codePointAt(0) as number;
    out += c > 0x20 && c < 0x7f && ch !== '#' ? ch : encodeURIComponent(ch);
  }
  return out;
}

function component(s: string): string {
  return encodeURIComponent(wellFormed(s));
}

function paramValue(name: string, s: Schema, opts: FuzzOptions): fc.Arbitrary<string> {
  const known = opts.knownValues ?? [];
  const valid = validValue(name, { ...s, type: 'string' }, opts, 3).map(asText);
  if (opts.strict) {
    return known.length ? fc.oneof(valid, fc.constantFrom(...known)) : valid;
  }
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: known.length ? 2 : 0, arbitrary: fc.constantFrom('', ...known) },
    { weight: 3, arbitrary: anyString(60) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  );
}

function encodeParam(v: string, raw: boolean): string {
  return raw ? rawEncode(v) : component(v);
}

function pathArb(route: RouteSpec, options: FuzzOptions): fc.Arbitrary<string> {
  // Known values stay known: a DELETE never aims at them.
  const opts = route.method === 'DELETE' ? { ...options, knownValues: [] } : options;
  const values = route.pathParams.map((p) => fc.tuple(paramValue(p.name, p.schema, opts), fc.boolean()));
  return fc.tuple(...values).map((vs) => {
    let path = route.path;
    route.pathParams.forEach((p, i) => {
      const [v, raw] = vs[i] as [string, boolean];
      path = path.replace(`{${p.name}}`, encodeParam(v, raw));
    });
    return path;
  });
}

const ODD_QUERIES = ['?', '?&&==', '?a[b]=1', '?%', '?%zz=1', '?=', '?__proto__[x]=1', '?limit', '?limit=&limit='];

function queryArb(route: RouteSpec, opts: FuzzOptions): fc.Arbitrary<string> {
  if (opts.strict) {
    const declared = route.query.map((q) =>
      fc.option(
        paramValue(q.name, q.schema, opts).map((v) => `${component(q.name)}=${component(v)}`),
        {
          nil: undefined,
        },
      ),
    );
    return fc.tuple(...declared).map((ps) => {
      const given = ps.filter((p) => p !== undefined);
      return given.length > 0 ? `?${given.join('&')}` : '';
    });
  }
  const declared = route.query.map((q) =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant<[string, string, boolean][]>([]) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.constant(q.name), paramValue(q.name, q.schema, opts), fc.boolean()).map((t) => [t]),
      },
      // Given twice: the parser makes an array of it.
      {
        weight: 1,
        arbitrary: fc
          .tuple(paramValue(q.name, q.schema, opts), paramValue(q.name, q.schema, opts))
          .map(([a, b]): [string, string, boolean][] => [
            [q.name, a, false],
            [q.name, b, false],
          ]),
      },
    ),
  );
  const extras = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), anyString(10)), anyString(20), fc.boolean()),
    {
      maxLength: 2,
    },
  );
  return fc
    .tuple(
      fc.tuple(...declared),
      extras,
      fc.oneof({ weight: 9, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...ODD_QUERIES) }),
    )
    .map(([ds, ex, odd]) => {
      const pairs = [...(ds as [string, string, boolean][][]).flat(), ...ex];
      if (odd !== '') return odd;
      if (pairs.length === 0) return '';
      return `?${pairs.map(([k, v, raw]) => `${encodeParam(k, raw)}=${encodeParam(v, raw)}`).join('&')}`;
    });
}

const FORGED_KEYS = [
  'rl_AAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'rl_',
  'rl_%%%%%%%%_x',
  'not-a-key',
  'a'.repeat(5000),
];

/** The auth headers: the full key mostly, else the narrow one, none, a forged or malformed one. */
function authArb(opts: FuzzOptions): fc.Arbitrary<Record<string, string>> {
  const full = opts.keys?.full;
  const narrow = opts.keys?.narrow;
  const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 60 });
  return fc.oneof(
    { weight: full ? 12 : 0, arbitrary: fc.constant({ authorization: `Bearer ${full}` }) },
    { weight: full ? 2 : 0, arbitrary: fc.constant({ 'x-api-key': full as string }) },
    { weight: narrow ? 2 : 0, arbitrary: fc.constant({ authorization: `Bearer ${narrow}` }) },
    { weight: 3, arbitrary: fc.constant({}) },
    {
      weight: 2,
      arbitrary: fc.oneof(fc.constantFrom(...FORGED_KEYS), printable).map((k) => ({ authorization: `Bearer ${k}` })),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer  x  y', 'Token abc').map((a) => ({
          authorization: a,
        })),
        printable.map((k) => ({ 'x-api-key': k })),
      ),
    },
  );
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

function routeRequest(route: RouteSpec, opts: FuzzOptions): fc.Arbitrary<FuzzRequest> {
  const strict = opts.strict === true;
  const key = opts.keys?.full;
  return fc
    .record({
      method: strict
        ? fc.constant(route.method)
        : fc.oneof(
            { weight: 9, arbitrary: fc.constant(route.method) },
            { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
          ),
      path: pathArb(route, opts),
      query: queryArb(route, opts),
      body: bodyArb(route, opts),
      auth: strict ? fc.constant<Record<string, string>>(key ? { authorization: `Bearer ${key}` } : {}) : authArb(opts),
      extra: strict
        ? fc.constant<Record<string, string>>({})
        : fc.oneof(
            { weight: 9, arbitrary: fc.constant<Record<string, string>>({}) },
            {
              weight: 1,
              arbitrary: fc.constantFrom<Record<string, string>>(
                { accept: 'application/xml' },
                { 'accept-encoding': 'br, gzip, deflate' },
                { 'x-request-id': 'a'.repeat(300) },
                { 'x-labeller': ' ' },
                { 'content-encoding': 'gzip' },
                { 'x-forwarded-for': '::1, 999.999.999.999' },
              ),
            },
          ),
    })
    .map(({ method, path, query, body, auth, extra }) => ({
      route: `${route.method} ${route.path}`,
      method,
      url: `${path}${query}`,
      headers: { ...extra, ...auth, ...(body.type !== undefined ? { 'content-type': body.type } : {}) },
      ...(body.body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body: body.body } : {}),
    }));
}

/** Undocumented paths: unknown routes, traversal, very long, unicode, under /api and not. */
function strayRequest(opts: FuzzOptions): fc.Arbitrary<FuzzRequest> {
  const segment = fc
    .tuple(fc.oneof(anyString(30), fc.webSegment()), fc.boolean())
    .map(([s, raw]) => encodeParam(s, raw));
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      prefix: fc.constantFrom(
        '/api/',
        '/',
        '/api/reviews/',
        '/api/photos/',
        '/api/models/',
        '/api/pipeline/runs/',
        '//',
      ),
      segments: fc.array(fc.oneof(segment, fc.constantFrom('..', '.', '%2e%2e', '%2f')), { maxLength: 4 }),
      auth: authArb(opts),
    })
    .map(({ method, prefix, segments, auth }) => ({
      route: 'stray',
      method,
      url: `${prefix}${segments.join('/')}`,
      headers: auth,
    }));
}

/**
 * Fuzzed requests over every documented route (each route equally likely), with a few stray ones. About
 * 40% are requests the route's schema accepts (with random, often meaningless values) so that the handlers
 * run too; the rest are mangled in one or more of the ways listed at the top of this file.
 */
export function fuzzRequests(routes: RouteSpec[], opts: FuzzOptions = {}): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { weight: 11, arbitrary: fc.constantFrom(...routes).chain((r) => routeRequest(r, opts)) },
    { weight: 8, arbitrary: fc.constantFrom(...routes).chain((r) => routeRequest(r, { ...opts, strict: true })) },
    { weight: 1, arbitrary: strayRequest(opts) },
  );
}

/** A short, printable account of a request, for failure messages and reports; API keys show only their public prefix. */
export function describeRequest(r: FuzzRequest): string {
  const mask = (t: string) => t.replace(/\b(rl_[0-9A-Za-z]{8}_)[0-9A-Za-z]{32,}/g, '$1…');
  const body =
    r.body === undefined
      ? ''
      : ` body(${r.body.length} B)=${JSON.stringify(r.body.subarray(0, 300).toString('latin1'))}`;
  const url = r.url.length > 300 ? `${r.url.slice(0, 300)}… (${r.url.length} chars)` : r.url;
  return mask(`${r.method} ${url} headers=${JSON.stringify(r.headers).slice(0, 400)}${body}`);
}
