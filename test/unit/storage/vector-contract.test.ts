import { randomBytes } from 'node:crypto';
import { MemoryVectorStore } from '../../../lib/storage/adapters/memory-vector';
import { recordUuid, WeaviateVectorStore } from '../../../lib/storage/adapters/weaviate';
import { squaredDistance, VectorRecord, VectorSchema, VectorStore } from '../../../lib/storage/vector';
import { FakeWeaviate, startFakeWeaviate } from '../../helpers/fake-weaviate';
import { seeded } from '../../helpers/rng';

const SCHEMA: VectorSchema = { symbol: 'text', asOf: 'number', up: 'boolean' };

function points(n: number, dim: number, seed: number): VectorRecord[] {
  const r = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `s${String(i).padStart(3, '0')}`,
    vector: Array.from({ length: dim }, () => Math.round((r() * 2 - 1) * 1000) / 1000),
    properties: { symbol: i % 3 === 0 ? 'GBPUSD' : 'EURUSD', asOf: 1_700_000_000_000 + i * 60_000, up: i % 2 === 0 },
  }));
}

/** The contract every VectorStore adapter passes. */
function contract(name: string, make: () => Promise<VectorStore>) {
  describe(`VectorStore contract: ${name}`, () => {
    let s: VectorStore;
    const data = points(120, 8, 42);
    beforeAll(async () => {
      s = await make();
      await s.upsert(data);
    });
    afterAll(() => s.close());

    it('finds the exact k nearest, nearest first, with squared Euclidean distances', async () => {
      const r = seeded(9);
      for (let t = 0; t < 8; t++) {
        const q = Array.from({ length: 8 }, () => r() * 2 - 1);
        const truth = data.map((d) => ({ id: d.id, distance: squaredDistance(q, d.vector) })).sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id));
        const got = await s.query({ vector: q, k: 5 });
        expect(got.map((g) => g.id)).toEqual(truth.slice(0, 5).map((x) => x.id));
        got.forEach((g, i) => expect(g.distance).toBeCloseTo(truth[i].distance, 5));
        expect(got[0].properties).toEqual(data.find((d) => d.id === got[0].id)!.properties);
      }
    });

    it('filters by equality on properties before ranking', async () => {
      const q = data[7].vector;
      const got = await s.query({ vector: q, k: 6, where: { symbol: 'GBPUSD', up: true } });
      const truth = data.filter((d) => d.properties.symbol === 'GBPUSD' && d.properties.up === true).map((d) => ({ id: d.id, distance: squaredDistance(q, d.vector) })).sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id));
      expect(got.map((g) => g.id)).toEqual(truth.slice(0, 6).map((x) => x.id));
      expect(await s.count({ symbol: 'GBPUSD' })).toBe(40);
      expect(await s.count()).toBe(120);
    });

    it('returns the whole collection when k exceeds it, an exact match at distance 0', async () => {
      const got = await s.query({ vector: data[5].vector, k: 500, where: { symbol: 'EURUSD' } });
      expect(got).toHaveLength(80);
      expect(got[0]).toMatchObject({ id: 's005', distance: 0 });
    });

    it('replaces on upsert by id, reads one back, deletes', async () => {
      await s.upsert([{ id: 's001', vector: new Array(8).fill(0.5), properties: { symbol: 'XAUUSD', asOf: 1, up: false } }]);
      expect(await s.count()).toBe(120);
      const one = await s.get('s001');
      expect(one).toMatchObject({ id: 's001', properties: { symbol: 'XAUUSD', asOf: 1, up: false } });
      one!.vector.forEach((x) => expect(x).toBeCloseTo(0.5, 6));
      expect((await s.query({ vector: new Array(8).fill(0.5), k: 1 }))[0].id).toBe('s001');
      await s.delete(['s001', 'nope']);
      expect(await s.get('s001')).toBeNull();
      expect(await s.count()).toBe(119);
    });

    it('breaks distance ties by id', async () => {
      const v = new Array(8).fill(3);
      await s.upsert([
        { id: 'tie-b', vector: v, properties: { symbol: 'TIE', asOf: 0, up: true } },
        { id: 'tie-a', vector: v, properties: { symbol: 'TIE', asOf: 0, up: true } },
      ]);
      expect((await s.query({ vector: v, k: 2, where: { symbol: 'TIE' } })).map((m) => m.id)).toEqual(['tie-a', 'tie-b']);
    });
  });
}

contract('memory (embedded exact k-NN)', async () => new MemoryVectorStore(SCHEMA));

let fake: FakeWeaviate;
beforeAll(async () => {
  fake = await startFakeWeaviate();
});
afterAll(() => fake.close());
contract('weaviate adapter over a local server speaking the Weaviate API', async () => new WeaviateVectorStore({ url: fake.url, className: 'ContractTest', schema: SCHEMA }));

const REAL = process.env.TEST_WEAVIATE_URL ?? process.env.WEAVIATE_URL;
if (REAL) contract(`weaviate at ${REAL}`, async () => new WeaviateVectorStore({ url: REAL, className: `Contract${randomBytes(4).toString('hex')}`, schema: SCHEMA }));

describe('weaviate adapter on the wire', () => {
  it('creates a flat, l2-squared collection without a vectorizer, once, and addresses objects by a name-based UUID', async () => {
    const s = new WeaviateVectorStore({ url: fake.url, className: 'WireCheck', schema: SCHEMA });
    await s.upsert(points(3, 4, 1));
    await s.query({ vector: [0, 0, 0, 0], k: 1 });
    const def = fake.classes.get('WireCheck')!;
    expect(def).toMatchObject({ vectorizer: 'none', vectorIndexType: 'flat', vectorIndexConfig: { distance: 'l2-squared' } });
    expect(def.properties.map((p) => `${p.name}:${p.dataType[0]}`)).toEqual(['recordKey:text', 'symbol:text', 'asOf:number', 'up:boolean']);
    expect(fake.requests.filter((r) => r.path === '/v1/schema' && r.method === 'POST')).toHaveLength(2); // ContractTest and WireCheck, each once
    expect(recordUuid('s000')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(recordUuid('s000')).toBe(recordUuid('s000'));
    await expect(s.upsert([{ id: 'x', vector: [1, 2, 3, 4], properties: { symbol: 5 as unknown as string } }])).rejects.toThrow('property symbol must be text');
  });

  it('reports an unreachable server as unavailable', async () => {
    const s = new WeaviateVectorStore({ url: 'http://127.0.0.1:1', className: 'Nowhere', schema: SCHEMA, timeoutMs: 500 });
    await expect(s.count()).rejects.toMatchObject({ name: 'UnavailableError' });
  });
});

describe('memory store: bounded, exact under churn', () => {
  const truth = (held: Map<string, VectorRecord>, q: number[], k: number, keep: (r: VectorRecord) => boolean = () => true) =>
    [...held.values()]
      .filter(keep)
      .map((d) => ({ id: d.id, distance: squaredDistance(q, d.vector) }))
      .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
      .slice(0, k);

  it('drops the oldest inserted past capacity; a re-insertion counts as new', () => {
    const s = new MemoryVectorStore(SCHEMA, 3);
    s.upsertSync(points(3, 4, 5)); // s000 s001 s002
    s.upsertSync([{ ...points(1, 4, 6)[0], id: 's000' }]); // s000 is now the newest
    s.upsertSync([{ ...points(1, 4, 7)[0], id: 'n1' }]);
    expect(s.size).toBe(3);
    expect(s.getSync('s001')).toBeNull();
    expect(['s000', 's002', 'n1'].map((id) => s.getSync(id)?.id)).toEqual(['s000', 's002', 'n1']);
  });

  it('matches brute force over thousands of inserts, replacements and deletions (slots reused), with filters and an accept callback', async () => {
    const s = new MemoryVectorStore(SCHEMA, 700);
    const held = new Map<string, VectorRecord>();
    const all = points(3000, 17, 11).map((p, i) => ({ ...p, id: `r${(i * 7919) % 3000}` }));
    const r = seeded(3);
    for (let i = 0; i < all.length; i++) {
      const rec = r() < 0.1 && i > 0 ? { ...all[i], id: all[Math.floor(r() * i)].id } : all[i]; // 10 % replace an earlier id
      s.upsertSync([rec]);
      held.delete(rec.id);
      held.set(rec.id, rec);
      while (held.size > 700) held.delete(held.keys().next().value as string);
      if (i % 97 === 0) {
        const gone = [...held.keys()].filter((_, j) => j % 5 === 0);
        await s.delete(gone);
        for (const id of gone) held.delete(id);
      }
      if (i % 250 === 249) {
        const q = Array.from({ length: 17 }, () => r() * 2 - 1);
        expect(s.size).toBe(held.size);
        expect(s.querySync({ vector: q, k: 9 }).map((m) => m.id)).toEqual(truth(held, q, 9).map((m) => m.id));
        const cut = 1_700_000_000_000 + i * 30_000;
        const keep = (x: VectorRecord) => x.properties.symbol === 'EURUSD' && (x.properties.asOf as number) < cut;
        const got = s.querySync({ vector: q, k: 12, where: { symbol: 'EURUSD' } }, (p) => (p.asOf as number) < cut);
        const want = truth(held, q, 12, keep);
        expect(got.map((m) => m.id)).toEqual(want.map((m) => m.id));
        got.forEach((m, j) => expect(m.distance).toBe(want[j].distance)); // the same sum, in the same order
      }
    }
    expect(await s.count({ symbol: 'GBPUSD' })).toBe([...held.values()].filter((x) => x.properties.symbol === 'GBPUSD').length);
  });
});
