/**
 * OpenAPI 3.1 document generated from the gateway's aliases and each action's
 * fastest-validator `params`, so the document cannot drift from the code.
 */
export interface AliasInfo {
  methods: string;
  fullPath: string;
  actionName: string;
}

type FvRule = string | { type?: string; optional?: boolean; min?: number; max?: number; values?: unknown[]; items?: FvRule; props?: Record<string, FvRule>; properties?: Record<string, FvRule>; integer?: boolean; positive?: boolean; default?: unknown; description?: string; length?: number } | FvRule[];

type JsonSchema = Record<string, unknown>;

function normalize(rule: FvRule): { schema: JsonSchema; optional: boolean } {
  if (Array.isArray(rule)) {
    const parts = rule.map(normalize);
    return { schema: { oneOf: parts.map((p) => p.schema) }, optional: parts.some((p) => p.optional) };
  }
  if (typeof rule === 'string') {
    const [type, ...mods] = rule.split('|');
    return normalize({ type, optional: mods.includes('optional') });
  }
  const r = rule;
  const optional = Boolean(r.optional) || r.default !== undefined;
  let s: JsonSchema;
  switch (r.type) {
    case 'string':
      s = { type: 'string' };
      if (r.min !== undefined) s.minLength = r.min;
      if (r.max !== undefined) s.maxLength = r.max;
      if (r.length !== undefined) s.minLength = s.maxLength = r.length;
      break;
    case 'number':
      s = { type: r.integer ? 'integer' : 'number' };
      if (r.min !== undefined) s.minimum = r.min;
      if (r.max !== undefined) s.maximum = r.max;
      if (r.positive) s.exclusiveMinimum = 0;
      break;
    case 'boolean':
      s = { type: 'boolean' };
      break;
    case 'enum':
      s = { enum: r.values ?? [] };
      break;
    case 'array':
      s = { type: 'array', items: r.items ? normalize(r.items).schema : {} };
      if (r.min !== undefined) s.minItems = r.min;
      if (r.max !== undefined) s.maxItems = r.max;
      break;
    case 'object': {
      const props = r.props ?? r.properties;
      s = { type: 'object' };
      if (props) Object.assign(s, objectSchema(props));
      break;
    }
    case 'uuid':
      s = { type: 'string', format: 'uuid' };
      break;
    case 'email':
      s = { type: 'string', format: 'email' };
      break;
    case 'url':
      s = { type: 'string', format: 'uri' };
      break;
    case 'date':
      s = { type: 'string', format: 'date-time' };
      break;
    default:
      s = {};
  }
  if (r.default !== undefined) s.default = r.default;
  if (r.description) s.description = r.description;
  return { schema: s, optional };
}

function objectSchema(params: Record<string, FvRule>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (k.startsWith('$$')) continue;
    const n = normalize(v);
    properties[k] = n.schema;
    if (!n.optional) required.push(k);
  }
  return required.length ? { properties, required } : { properties };
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

export function buildOpenApi(aliases: AliasInfo[], paramsOf: (action: string) => Record<string, FvRule> | undefined, info: { title: string; version: string; description?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const a of aliases) {
    if (!a.actionName || !a.fullPath) continue;
    const methods = a.methods === '*' ? ['get', 'post'] : [a.methods.toLowerCase()];
    const oaPath = a.fullPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const pathParams = [...a.fullPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    const params = paramsOf(a.actionName) ?? {};
    for (const method of methods) {
      const parameters: unknown[] = pathParams.map((p) => ({ name: p, in: 'path', required: true, schema: params[p] ? normalize(params[p]).schema : { type: 'string' } }));
      const rest: Record<string, FvRule> = Object.fromEntries(Object.entries(params).filter(([k]) => !pathParams.includes(k) && !k.startsWith('$$')));
      const op: Record<string, unknown> = {
        operationId: a.actionName + (methods.length > 1 ? '_' + method : ''),
        tags: [a.actionName.split('.')[0]],
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: {} } } },
          '401': { description: 'Missing or invalid API key', content: { 'application/json': { schema: ERROR_REF } } },
          '404': { description: 'Not found (another tenant\'s resource is never revealed)', content: { 'application/json': { schema: ERROR_REF } } },
          '422': { description: 'Invalid parameters or business rejection', content: { 'application/json': { schema: ERROR_REF } } },
          '429': { description: 'Tier rate limit exceeded', content: { 'application/json': { schema: ERROR_REF } } },
          '503': { description: 'A dependency is unavailable', content: { 'application/json': { schema: ERROR_REF } } },
        },
      };
      if (method === 'get' || method === 'delete') {
        for (const [k, v] of Object.entries(rest)) {
          const n = normalize(v);
          parameters.push({ name: k, in: 'query', required: !n.optional, schema: n.schema });
        }
      } else if (Object.keys(rest).length > 0) {
        op.requestBody = { required: true, content: { 'application/json': { schema: { type: 'object', ...objectSchema(rest) } } } };
      }
      if (parameters.length) op.parameters = parameters;
      (paths[oaPath] ??= {})[method] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([x], [y]) => x.localeCompare(y))),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key as a bearer token' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, data: {} } } },
        },
      },
    },
  };
}
