/**
 * `VectorStore` on Weaviate over its HTTP API (WEAVIATE_URL):
 *
 * - the collection (class) is created on first use through `POST /v1/schema`
 *   with no vectorizer (vectors come from us), a **flat** index and the
 *   `l2-squared` distance, so `nearVector` search is exact and its distance is
 *   the squared Euclidean distance of the port;
 * - writes go through `POST /v1/batch/objects` (same id = replace), reads
 *   through GraphQL `Get` with `nearVector`, `limit` and `where`
 *   (`POST /v1/graphql`), counts through GraphQL `Aggregate { meta { count } }`,
 *   single objects through `GET|DELETE /v1/objects/{class}/{uuid}`;
 * - Weaviate ids are UUIDs: a record's id is mapped to a name-based UUID
 *   (SHA-1, RFC 4122 version 5 layout) and kept in the `recordKey` property.
 *
 * Network failures and 5xx answers are `UnavailableError` (503 upstream).
 */
import { createHash } from 'node:crypto';
import { UnavailableError } from '../../errors';
import { PropertyValue, schemaProblems, VectorMatch, VectorQuery, VectorRecord, VectorSchema, VectorStore } from '../vector';

export interface WeaviateOptions {
  url: string;
  /** Collection name; Weaviate wants it capitalised (`Situation`). */
  className: string;
  schema: VectorSchema;
  apiKey?: string;
  timeoutMs?: number;
}

const KEY = 'recordKey';

/** Name-based UUID of a record id (SHA-1 of it, version 5 and variant bits set). */
export function recordUuid(id: string): string {
  const h = createHash('sha1').update(id).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const VALUE_FIELD: Record<string, string> = { text: 'valueText', number: 'valueNumber', boolean: 'valueBoolean' };

export class WeaviateVectorStore implements VectorStore {
  readonly kind = 'weaviate' as const;
  private ready: Promise<void> | null = null;
  private readonly base: string;

  constructor(readonly o: WeaviateOptions) {
    if (!/^[A-Z][_0-9A-Za-z]*$/.test(o.className)) throw new Error(`weaviate: class name ${o.className} must start with a capital letter`);
    if (KEY in o.schema) throw new Error(`weaviate: property ${KEY} is reserved`);
    this.base = o.url.replace(/\/+$/, '');
  }

  private async http(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
    } catch (e) {
      throw new UnavailableError('weaviate', `${method} ${path}: ${(e as Error).message}`, e);
    }
    const text = await res.text();
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    if (res.status >= 500) throw new UnavailableError('weaviate', `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return { status: res.status, json };
  }

  private fail(what: string, status: number, json: unknown): never {
    const msg = (json as { error?: { message: string }[] })?.error?.map((e) => e.message).join('; ') ?? JSON.stringify(json)?.slice(0, 300);
    throw new Error(`weaviate: ${what} failed (${status}): ${msg}`);
  }

  /** Create the class once if it does not exist. */
  ensure(): Promise<void> {
    this.ready ??= (async () => {
      const got = await this.http('GET', `/v1/schema/${this.o.className}`);
      if (got.status === 200) return;
      if (got.status !== 404) this.fail('schema lookup', got.status, got.json);
      const properties = [{ name: KEY, dataType: ['text'] }, ...Object.entries(this.o.schema).map(([name, t]) => ({ name, dataType: [t] }))];
      const made = await this.http('POST', '/v1/schema', {
        class: this.o.className,
        vectorizer: 'none',
        vectorIndexType: 'flat',
        vectorIndexConfig: { distance: 'l2-squared' },
        properties,
      });
      // another process may have created it in between
      if (made.status !== 200 && made.status !== 422) this.fail('class creation', made.status, made.json);
    })().catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  private async graphql<T>(query: string): Promise<T> {
    await this.ensure();
    const r = await this.http('POST', '/v1/graphql', { query });
    const j = r.json as { data?: T; errors?: { message: string }[] };
    if (r.status !== 200 || j.errors?.length) throw new Error(`weaviate: graphql failed (${r.status}): ${j.errors?.map((e) => e.message).join('; ') ?? JSON.stringify(j).slice(0, 300)}`);
    return j.data as T;
  }

  private where(w: Record<string, PropertyValue> | undefined): string {
    if (!w || Object.keys(w).length === 0) return '';
    const ops = Object.entries(w).map(([k, v]) => {
      const t = k === KEY ? 'text' : this.o.schema[k];
      if (!t) throw new Error(`weaviate: unknown property ${k} in a filter`);
      return `{path: [${JSON.stringify(k)}], operator: Equal, ${VALUE_FIELD[t]}: ${JSON.stringify(v)}}`;
    });
    return ops.length === 1 ? `where: ${ops[0]}` : `where: {operator: And, operands: [${ops.join(', ')}]}`;
  }

  async upsert(records: readonly VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const r of records) {
      const bad = schemaProblems(this.o.schema, r);
      if (bad.length > 0) throw new Error(`weaviate: record ${r.id}: ${bad.join('; ')}`);
    }
    await this.ensure();
    for (let i = 0; i < records.length; i += 500) {
      const objects = records.slice(i, i + 500).map((r) => ({ class: this.o.className, id: recordUuid(r.id), vector: [...r.vector], properties: { ...r.properties, [KEY]: r.id } }));
      const res = await this.http('POST', '/v1/batch/objects', { objects });
      if (res.status !== 200) this.fail('batch import', res.status, res.json);
      const errs = (res.json as { id?: string; result?: { errors?: { error?: { message: string }[] } } }[])
        .flatMap((o) => o.result?.errors?.error ?? [])
        .map((e) => e.message);
      if (errs.length > 0) throw new Error(`weaviate: ${errs.length} object(s) refused: ${errs.slice(0, 3).join('; ')}`);
    }
  }

  async query(q: VectorQuery): Promise<VectorMatch[]> {
    if (q.k <= 0) return [];
    const fields = [KEY, ...Object.keys(this.o.schema)].join(' ');
    const args = [`nearVector: {vector: ${JSON.stringify([...q.vector])}}`, `limit: ${Math.floor(q.k)}`, this.where(q.where)].filter(Boolean).join(', ');
    const data = await this.graphql<{ Get: Record<string, (Record<string, PropertyValue> & { _additional: { distance: number } })[]> }>(`{ Get { ${this.o.className}(${args}) { ${fields} _additional { distance } } } }`);
    const rows = data.Get[this.o.className] ?? [];
    const out = rows.map((row) => {
      const { _additional, [KEY]: key, ...props } = row;
      return { id: String(key), distance: _additional.distance, properties: props as Record<string, PropertyValue> };
    });
    // the port's tie-break: by id
    return out.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string): Promise<VectorRecord | null> {
    await this.ensure();
    const r = await this.http('GET', `/v1/objects/${this.o.className}/${recordUuid(id)}?include=vector`);
    if (r.status === 404) return null;
    if (r.status !== 200) this.fail('object read', r.status, r.json);
    const o = r.json as { properties: Record<string, PropertyValue>; vector: number[] };
    const { [KEY]: _k, ...properties } = o.properties;
    return { id, vector: o.vector, properties };
  }

  async delete(ids: readonly string[]): Promise<void> {
    await this.ensure();
    for (const id of ids) {
      const r = await this.http('DELETE', `/v1/objects/${this.o.className}/${recordUuid(id)}`);
      if (r.status !== 204 && r.status !== 200 && r.status !== 404) this.fail('delete', r.status, r.json);
    }
  }

  async count(where?: Record<string, PropertyValue>): Promise<number> {
    const w = this.where(where);
    const data = await this.graphql<{ Aggregate: Record<string, { meta: { count: number } }[]> }>(`{ Aggregate { ${this.o.className}${w ? `(${w})` : ''} { meta { count } } } }`);
    return data.Aggregate[this.o.className]?.[0]?.meta.count ?? 0;
  }

  async close(): Promise<void> {
    this.ready = null;
  }
}
