/**
 * A small local server speaking the part of Weaviate's HTTP API the
 * `WeaviateVectorStore` uses, on the real wire format: schema (`GET/POST
 * /v1/schema`), batch import (`POST /v1/batch/objects`), objects (`GET/DELETE
 * /v1/objects/{class}/{id}`) and GraphQL (`POST /v1/graphql`) with `Get`
 * (`nearVector`, `limit`, `where` with `Equal`/`And`) and `Aggregate { meta
 * { count } }`, parsed by a real (small) GraphQL parser. Vectors are kept as
 * float32 like Weaviate's, distance is `l2-squared`. For tests only.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

interface Field {
  name: string;
  args: Record<string, Value>;
  selections: Field[];
}

/** GraphQL tokens: punctuators, names, strings, numbers. */
function tokenize(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s|,/.test(c)) {
      i++;
      continue;
    }
    if ('{}()[]:'.includes(c)) {
      out.push(c);
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out.push(src.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i)) ?? /^[_A-Za-z][_0-9A-Za-z]*/.exec(src.slice(i));
    if (!m) throw new Error(`Syntax Error: Unexpected character "${c}"`);
    out.push(m[0]);
    i += m[0].length;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly t: string[]) {}
  private next(): string {
    const v = this.t[this.i++];
    if (v === undefined) throw new Error('Syntax Error: Unexpected <EOF>');
    return v;
  }
  private expect(s: string): void {
    const v = this.next();
    if (v !== s) throw new Error(`Syntax Error: Expected "${s}", found "${v}"`);
  }
  private peek(): string | undefined {
    return this.t[this.i];
  }
  document(): Field[] {
    if (this.peek() === 'query') this.next();
    const s = this.selectionSet();
    if (this.i !== this.t.length) throw new Error(`Syntax Error: Unexpected "${this.peek()}"`);
    return s;
  }
  private selectionSet(): Field[] {
    this.expect('{');
    const out: Field[] = [];
    while (this.peek() !== '}') out.push(this.field());
    this.expect('}');
    return out;
  }
  private field(): Field {
    const name = this.next();
    const args: Record<string, Value> = {};
    if (this.peek() === '(') {
      this.next();
      while (this.peek() !== ')') {
        const k = this.next();
        this.expect(':');
        args[k] = this.value();
      }
      this.expect(')');
    }
    return { name, args, selections: this.peek() === '{' ? this.selectionSet() : [] };
  }
  private value(): Value {
    const v = this.next();
    if (v === '{') {
      const o: Record<string, Value> = {};
      while (this.peek() !== '}') {
        const k = this.next();
        this.expect(':');
        o[k] = this.value();
      }
      this.expect('}');
      return o;
    }
    if (v === '[') {
      const l: Value[] = [];
      while (this.peek() !== ']') l.push(this.value());
      this.expect(']');
      return l;
    }
    if (v.startsWith('"')) return JSON.parse(v) as string;
    if (/^-?\d/.test(v)) return Number(v);
    if (v === 'true' || v === 'false') return v === 'true';
    if (v === 'null') return null;
    return v; // an enum value (Equal, And …)
  }
}

interface StoredObject {
  id: string;
  properties: Record<string, string | number | boolean>;
  vector: Float32Array;
  seq: number;
}

interface ClassDef {
  class: string;
  vectorIndexType?: string;
  vectorIndexConfig?: { distance?: string };
  properties: { name: string; dataType: string[] }[];
}

export interface FakeWeaviate {
  url: string;
  requests: { method: string; path: string }[];
  classes: Map<string, ClassDef>;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function startFakeWeaviate(): Promise<FakeWeaviate> {
  const classes = new Map<string, ClassDef>();
  const objects = new Map<string, Map<string, StoredObject>>();
  const requests: { method: string; path: string }[] = [];
  let seq = 0;

  const matches = (o: StoredObject, w: Value | undefined): boolean => {
    if (!w || typeof w !== 'object' || Array.isArray(w)) return true;
    if (w.operator === 'And') return ((w.operands as Value[]) ?? []).every((x) => matches(o, x));
    if (w.operator === 'Or') return ((w.operands as Value[]) ?? []).some((x) => matches(o, x));
    if (w.operator !== 'Equal') throw new Error(`operator ${String(w.operator)} not supported by this fake`);
    const path = (w.path as string[])[0];
    const v = w.valueText ?? w.valueString ?? w.valueNumber ?? w.valueInt ?? w.valueBoolean;
    return o.properties[path] === v;
  };

  const execute = (fields: Field[]): { data?: unknown; errors?: { message: string }[] } => {
    const data: Record<string, Record<string, unknown>> = {};
    for (const root of fields) {
      if (root.name !== 'Get' && root.name !== 'Aggregate') return { errors: [{ message: `Cannot query field "${root.name}" on type "WeaviateObj".` }] };
      data[root.name] = {};
      for (const cf of root.selections) {
        const store = objects.get(cf.name);
        if (!classes.has(cf.name) || !store) return { errors: [{ message: `Cannot query field "${cf.name}" on type "${root.name === 'Get' ? 'GetObjectsObj' : 'AggregateObjectsObj'}".` }] };
        const hit = [...store.values()].filter((o) => matches(o, cf.args.where));
        if (root.name === 'Aggregate') {
          data.Aggregate[cf.name] = [{ meta: { count: hit.length } }];
          continue;
        }
        const nv = cf.args.nearVector as { vector?: number[] } | undefined;
        let rows = hit.map((o) => ({ o, d: 0 }));
        if (nv?.vector) {
          const q = Float32Array.from(nv.vector);
          rows = hit.map((o) => {
            if (o.vector.length !== q.length) throw new Error(`vector lengths don't match: ${q.length} vs ${o.vector.length}`);
            let d = 0;
            for (let i = 0; i < q.length; i++) d += (q[i] - o.vector[i]) ** 2;
            return { o, d: Math.fround(d) };
          });
          rows.sort((a, b) => a.d - b.d || a.o.seq - b.o.seq);
        } else rows.sort((a, b) => a.o.seq - b.o.seq);
        const limit = typeof cf.args.limit === 'number' ? cf.args.limit : 25;
        data.Get[cf.name] = rows.slice(0, limit).map(({ o, d }) => {
          const out: Record<string, unknown> = {};
          for (const s of cf.selections) {
            if (s.name === '_additional') {
              const add: Record<string, unknown> = {};
              for (const a of s.selections) {
                if (a.name === 'id') add.id = o.id;
                else if (a.name === 'distance') add.distance = nv?.vector ? d : null;
                else if (a.name === 'vector') add.vector = Array.from(o.vector);
              }
              out._additional = add;
            } else out[s.name] = o.properties[s.name] ?? null;
          }
          return out;
        });
      }
    }
    return { data };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? 'GET', path: url.pathname });
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const err = (status: number, message: string) => send(status, { error: [{ message }] });
      let body: Record<string, unknown> = {};
      try {
        if (chunks.length > 0) body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return err(400, 'invalid JSON body');
      }
      const parts = url.pathname.split('/').filter(Boolean);
      try {
        if (req.method === 'GET' && parts[0] === 'v1' && parts[1] === 'schema' && parts[2]) {
          const c = classes.get(parts[2]);
          return c ? send(200, c) : err(404, `class ${parts[2]} not found`);
        }
        if (req.method === 'POST' && url.pathname === '/v1/schema') {
          const c = body as unknown as ClassDef;
          if (typeof c.class !== 'string') return err(422, 'class name is required');
          if (classes.has(c.class)) return err(422, `class name "${c.class}" already exists`);
          classes.set(c.class, c);
          objects.set(c.class, new Map());
          return send(200, c);
        }
        if (req.method === 'POST' && url.pathname === '/v1/batch/objects') {
          const list = (body.objects ?? []) as { class: string; id: string; vector: number[]; properties: Record<string, string | number | boolean> }[];
          const out = list.map((o) => {
            const c = classes.get(o.class);
            const problems: string[] = [];
            if (!c) problems.push(`class "${o.class}" not found in schema`);
            if (!UUID.test(o.id)) problems.push(`id '${o.id}' is not a valid uuid`);
            if (!Array.isArray(o.vector)) problems.push('vector is required (no vectorizer configured)');
            for (const [k, v] of Object.entries(o.properties ?? {})) {
              const p = c?.properties.find((x) => x.name === k);
              if (!p) problems.push(`no such prop with name '${k}' found in class '${o.class}'`);
              else if ((p.dataType[0] === 'number' && typeof v !== 'number') || (p.dataType[0] === 'text' && typeof v !== 'string') || (p.dataType[0] === 'boolean' && typeof v !== 'boolean'))
                problems.push(`invalid ${p.dataType[0]} property '${k}'`);
            }
            if (problems.length === 0) objects.get(o.class)!.set(o.id, { id: o.id, properties: { ...o.properties }, vector: Float32Array.from(o.vector), seq: seq++ });
            return { class: o.class, id: o.id, properties: o.properties, result: problems.length > 0 ? { errors: { error: problems.map((message) => ({ message })) } } : {} };
          });
          return send(200, out);
        }
        if (parts[0] === 'v1' && parts[1] === 'objects' && parts.length === 4) {
          const store = objects.get(parts[2]);
          const o = store?.get(parts[3]);
          if (req.method === 'GET') {
            if (!o) return send(404);
            return send(200, { class: parts[2], id: o.id, properties: o.properties, ...(url.searchParams.get('include') === 'vector' ? { vector: Array.from(o.vector) } : {}) });
          }
          if (req.method === 'DELETE') {
            if (!o) return send(404);
            store!.delete(parts[3]);
            return send(204);
          }
        }
        if (req.method === 'POST' && url.pathname === '/v1/graphql') {
          let fields: Field[];
          try {
            fields = new Parser(tokenize(String(body.query ?? ''))).document();
          } catch (e) {
            return send(200, { errors: [{ message: (e as Error).message }] });
          }
          try {
            return send(200, execute(fields));
          } catch (e) {
            return send(200, { errors: [{ message: (e as Error).message }] });
          }
        }
        return err(404, `no route for ${req.method} ${url.pathname}`);
      } catch (e) {
        return err(500, (e as Error).message);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    classes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
