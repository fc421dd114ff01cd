/**
 * Test helper: load Maesn's published OpenAPI 3.0 document (kept OUTSIDE this repository, in
 * ../shared/reference relative to the repo root) and validate requests/responses against it.
 *
 * OpenAPI 3.0 schemas are not plain JSON Schema, so they are converted before ajv compiles them:
 *  - `nullable: true` becomes a `null` type (or an `anyOf` with null when there is no `type`);
 *  - `$ref: '#/components/schemas/X'` points into one shared ajv schema holding every component;
 *  - `allOf` whose members are objects with `properties` is merged left-to-right, later members
 *    overriding earlier property definitions (the spec declares list envelopes as
 *    `allOf: [BaseResponseDto, { properties: { data: { type: array } } }]`, while BaseResponseDto
 *    itself says `data: object`; a literal allOf would reject every list response);
 *  - vendor extensions, `example`, and the non-JSON-Schema `format: binary` are dropped.
 *
 * Compiled validators are cached per spec object.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MAESN_SPEC_PATH = path.resolve(REPO_ROOT, '..', 'shared', 'reference', 'maesn-openapi.yaml');

/** Message for `t.skip(...)` / `{ skip: ... }` when the spec file is not available. */
export const specAbsentReason = `Maesn OpenAPI spec not found at ${MAESN_SPEC_PATH}; contract checks skipped`;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type SchemaObject = { [k: string]: unknown };

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'header' | 'path' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: SchemaObject }> };
  responses?: Record<string, { content?: Record<string, { schema?: SchemaObject }> }>;
}

export interface MaesnSpec {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

let loaded: { spec: MaesnSpec | null } | undefined;

/** Parses the spec once per process; returns null when the file is absent. */
export function loadMaesnSpec(): MaesnSpec | null {
  if (loaded) return loaded.spec;
  let spec: MaesnSpec | null = null;
  if (fs.existsSync(MAESN_SPEC_PATH)) {
    const doc = YAML.parse(fs.readFileSync(MAESN_SPEC_PATH, 'utf8')) as MaesnSpec;
    if (!doc || typeof doc !== 'object' || !doc.paths) throw new Error(`${MAESN_SPEC_PATH} is not an OpenAPI document`);
    spec = doc;
  }
  loaded = { spec };
  return spec;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema -> JSON Schema (draft-07) conversion
// ---------------------------------------------------------------------------------------------

const COMPONENTS_ID = 'maesn-components';
const DROP_KEYS = new Set(['example', 'discriminator', 'xml', 'externalDocs']);

function isObj(v: unknown): v is SchemaObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convertSchema(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(convertSchema);
  if (!isObj(input)) return input;

  if (typeof input.$ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(input.$ref);
    if (!m) throw new Error(`unsupported $ref ${input.$ref}`);
    const ref = { $ref: `${COMPONENTS_ID}#/definitions/${m[1]}` };
    return input.nullable === true ? { anyOf: [ref, { type: 'null' }] } : ref;
  }

  let out: SchemaObject = {};
  for (const [k, v] of Object.entries(input)) {
    if (k.startsWith('x-') || DROP_KEYS.has(k) || k === 'nullable') continue;
    if (k === 'format' && v === 'binary') continue;
    if (k === 'properties' && isObj(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, convertSchema(s)]));
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not') {
      out[k] = convertSchema(v);
    } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.map(convertSchema);
    } else {
      out[k] = v;
    }
  }

  if (Array.isArray(out.allOf)) out = mergeAllOf(out);

  if (input.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (out.type === undefined) {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

/**
 * Merges `allOf` members into one object schema when every member is either a component $ref
 * (resolved from the spec) or an inline object fragment. Falls back to a plain allOf otherwise.
 */
let rawComponents: Record<string, unknown> = {};
const convertedComponents = new Map<string, SchemaObject>();
function convertedComponent(name: string): SchemaObject | undefined {
  let c = convertedComponents.get(name);
  if (!c && name in rawComponents) {
    c = convertSchema(rawComponents[name]) as SchemaObject;
    convertedComponents.set(name, c);
  }
  return c;
}
function mergeAllOf(schema: SchemaObject): SchemaObject {
  const members = schema.allOf as unknown[];
  // A single $ref under allOf (used to attach `nullable`) is just that ref.
  if (members.length === 1) {
    const { allOf: _drop, ...rest } = schema;
    void _drop;
    return Object.keys(rest).length === 0 ? (members[0] as SchemaObject) : { ...rest, allOf: members };
  }
  const resolved: SchemaObject[] = [];
  for (const m of members) {
    if (!isObj(m)) return schema;
    if (typeof m.$ref === 'string') {
      const name = m.$ref.split('/').pop() as string;
      const target = convertedComponent(name);
      if (!isObj(target)) return schema;
      resolved.push(target);
    } else {
      resolved.push(m);
    }
  }
  if (!resolved.every((r) => r.type === undefined || r.type === 'object')) return schema;
  const properties: SchemaObject = {};
  const required = new Set<string>();
  for (const r of resolved) {
    if (isObj(r.properties)) Object.assign(properties, r.properties);
    if (Array.isArray(r.required)) for (const q of r.required) required.add(String(q));
  }
  const { allOf: _drop, ...rest } = schema;
  void _drop;
  return { ...rest, type: 'object', properties, ...(required.size ? { required: [...required] } : {}) };
}

interface Compiled {
  ajv: Ajv;
  definitions: Record<string, SchemaObject>;
  cache: Map<string, ValidateFunction>;
}

const compiledBySpec = new WeakMap<MaesnSpec, Compiled>();

function compiledFor(spec: MaesnSpec): Compiled {
  let c = compiledBySpec.get(spec);
  if (c) return c;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  rawComponents = spec.components?.schemas ?? {};
  convertedComponents.clear();
  const definitions: Record<string, SchemaObject> = {};
  for (const name of Object.keys(rawComponents)) definitions[name] = convertedComponent(name) as SchemaObject;
  ajv.addSchema({ $id: COMPONENTS_ID, definitions }, COMPONENTS_ID);
  c = { ajv, definitions, cache: new Map() };
  compiledBySpec.set(spec, c);
  return c;
}

function getValidator(spec: MaesnSpec, key: string, schema: unknown): ValidateFunction {
  const c = compiledFor(spec);
  let v = c.cache.get(key);
  if (!v) {
    rawComponents = spec.components?.schemas ?? {};
    convertedComponents.clear();
    for (const [name, def] of Object.entries(c.definitions)) convertedComponents.set(name, def);
    v = c.ajv.compile(convertSchema(schema) as object);
    c.cache.set(key, v);
  }
  return v;
}

function formatErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === 'enum' ? ` (allowed: ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)})` : '';
    const add = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
    return `${where}${e.instancePath || ''} ${e.message ?? e.keyword}${add}${extra}`;
  });
}

function findOperation(spec: MaesnSpec, method: string, pathTemplate: string): OpenApiOperation {
  const item = spec.paths[pathTemplate];
  if (!item) throw new Error(`path ${pathTemplate} is not in the Maesn spec`);
  const op = item[method.toLowerCase()];
  if (!op) throw new Error(`${method.toUpperCase()} ${pathTemplate} is not in the Maesn spec`);
  return op;
}

// ---------------------------------------------------------------------------------------------
// Public validators
// ---------------------------------------------------------------------------------------------

/**
 * Validates a response body against the schema declared for (method, path, status, content type).
 * Returns human-readable errors; [] when valid. `contentType` defaults to application/json when
 * the operation declares it, else the first declared content type.
 */
export function validateResponse(
  spec: MaesnSpec,
  method: string,
  pathTemplate: string,
  status: number,
  body: unknown,
  contentType?: string,
): string[] {
  const op = findOperation(spec, method, pathTemplate);
  const responses = op.responses ?? {};
  const resp = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  if (!resp) return [`status ${status} is not declared for ${method.toUpperCase()} ${pathTemplate} (declared: ${Object.keys(responses).join(', ')})`];
  const contents = resp.content ?? {};
  const types = Object.keys(contents);
  if (types.length === 0) return [];
  const ct = contentType ? contentType.split(';')[0].trim().toLowerCase() : types.includes('application/json') ? 'application/json' : types[0];
  const media = contents[ct];
  if (!media) return [`content type ${ct} is not declared for ${method.toUpperCase()} ${pathTemplate} ${status} (declared: ${types.join(', ')})`];
  if (!media.schema) return [];
  const v = getValidator(spec, `res ${method.toLowerCase()} ${pathTemplate} ${status} ${ct}`, media.schema);
  return v(body as Json) ? [] : formatErrors('response', v.errors);
}

export interface RequestToValidate {
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  jsonBody?: unknown;
  /** The JSON part of a multipart body: raw string (as sent) or already parsed value. */
  multipartJsonField?: { name: string; value: unknown };
  /** Names of every multipart part sent (checked against the declared multipart properties). */
  multipartFieldNames?: string[];
}

/** Turns a query-string value into the type its parameter schema declares, or reports why not. */
function coerceParam(raw: string, schema: SchemaObject): { ok: true; value: unknown } | { ok: false; error: string } {
  const type = schema.type;
  if (type === 'number' || type === 'integer') {
    if (raw.trim() === '' || !Number.isFinite(Number(raw))) return { ok: false, error: `'${raw}' is not a ${type}` };
    return { ok: true, value: Number(raw) };
  }
  if (type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') return { ok: false, error: `'${raw}' is not a boolean (true|false)` };
    return { ok: true, value: raw === 'true' };
  }
  if (type === 'array') {
    const items = isObj(schema.items) ? schema.items : {};
    const parts = raw.split(',');
    const out: unknown[] = [];
    for (const p of parts) {
      const r = coerceParam(p, items);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  return { ok: true, value: raw };
}

/**
 * Validates what a client sent: every query parameter must be declared for the operation and
 * carry a value of the declared type/enum; required query/header parameters must be present;
 * the JSON body (or the JSON inside a named multipart part) must match the request schema.
 */
export function validateRequest(spec: MaesnSpec, method: string, pathTemplate: string, req: RequestToValidate): string[] {
  const op = findOperation(spec, method, pathTemplate);
  const errors: string[] = [];
  const params = op.parameters ?? [];
  const where = `${method.toUpperCase()} ${pathTemplate}`;

  const queryParams = new Map(params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(req.query)) {
    const p = queryParams.get(name);
    if (!p) {
      errors.push(`query parameter '${name}' is not declared for ${where}`);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 1 && p.schema?.type !== 'array') errors.push(`query parameter '${name}' sent ${values.length} times`);
    for (const raw of values) {
      const schema = p.schema ?? {};
      const c = coerceParam(raw, schema);
      if (!c.ok) {
        errors.push(`query parameter '${name}': ${c.error}`);
        continue;
      }
      const v = getValidator(spec, `param ${method.toLowerCase()} ${pathTemplate} query ${name}`, schema);
      if (!v(c.value as Json)) errors.push(...formatErrors(`query parameter '${name}'`, v.errors));
    }
  }
  for (const p of queryParams.values()) {
    if (p.required && !(p.name in req.query)) errors.push(`required query parameter '${p.name}' missing`);
  }

  const headers = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const p of params.filter((x) => x.in === 'header')) {
    const raw = headers.get(p.name.toLowerCase());
    if (raw === undefined) {
      if (p.required) errors.push(`required header '${p.name}' missing`);
      continue;
    }
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const c = coerceParam(value, p.schema ?? {});
    if (!c.ok) errors.push(`header '${p.name}': ${c.error}`);
  }

  const content = op.requestBody?.content ?? {};
  const hasBody = req.jsonBody !== undefined || req.multipartJsonField !== undefined || (req.multipartFieldNames?.length ?? 0) > 0;
  if (op.requestBody?.required && !hasBody) errors.push(`${where} requires a request body`);
  if (!op.requestBody && hasBody) errors.push(`${where} declares no request body`);

  if (req.jsonBody !== undefined) {
    const media = content['application/json'];
    if (!media) errors.push(`${where} does not accept application/json (declared: ${Object.keys(content).join(', ')})`);
    else if (media.schema) {
      const v = getValidator(spec, `req ${method.toLowerCase()} ${pathTemplate} json`, media.schema);
      if (!v(req.jsonBody as Json)) errors.push(...formatErrors('body', v.errors));
    }
  }

  if (req.multipartJsonField !== undefined || req.multipartFieldNames !== undefined) {
    const media = content['multipart/form-data'];
    if (!media) {
      errors.push(`${where} does not accept multipart/form-data (declared: ${Object.keys(content).join(', ')})`);
    } else {
      const props = (isObj(media.schema) && isObj(media.schema.properties) ? media.schema.properties : {}) as Record<string, unknown>;
      for (const n of req.multipartFieldNames ?? []) {
        if (!(n in props)) errors.push(`multipart part '${n}' is not declared for ${where} (declared: ${Object.keys(props).join(', ')})`);
      }
      const field = req.multipartJsonField;
      if (field) {
        const partSchema = props[field.name];
        if (!partSchema) errors.push(`multipart part '${field.name}' is not declared for ${where}`);
        else {
          let value = field.value;
          let parsedOk = true;
          if (typeof value === 'string') {
            try {
              value = JSON.parse(value);
            } catch {
              parsedOk = false;
              errors.push(`multipart part '${field.name}' is not valid JSON`);
            }
          }
          if (parsedOk) {
            const v = getValidator(spec, `req ${method.toLowerCase()} ${pathTemplate} multipart ${field.name}`, partSchema);
            if (!v(value as Json)) errors.push(...formatErrors(field.name, v.errors));
          }
        }
      }
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// A tiny recording HTTP server (port 0) for unit/contract tests of HTTP clients.
// ---------------------------------------------------------------------------------------------

export interface RecordedRequest {
  method: string;
  /** Path without query string. */
  path: string;
  query: Record<string, string | string[]>;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a loopback server that records every request (body fully read) and lets `handler`
 * answer it. Close it in `after()`.
 */
export async function startRecordingServer(
  handler: (req: RecordedRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void | Promise<void>,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const query: Record<string, string | string[]> = {};
      for (const k of new Set(u.searchParams.keys())) {
        const all = u.searchParams.getAll(k);
        query[k] = all.length === 1 ? all[0] : all;
      }
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      Promise.resolve(handler(rec, res, req)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(599);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON response. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
