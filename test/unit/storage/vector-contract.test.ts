import { MemoryVectorStore } from '../../../lib/storage/adapters/memory-vector';
import type { VectorStore } from '../../../lib/storage/vector';
import { seeded } from '../../helpers/rng';

function contract(name: string, make: (dim: number) => Promise<VectorStore<{ tag: string }>>) {
  describe(`VectorStore contract: ${name}`, () => {
    it('returns the exact k nearest by Euclidean distance, closest first', async () => {
      const s = await make(2);
      await s.upsert([
        { id: 'a', vector: [0, 0], payload: { tag: 'origin' } },
        { id: 'b', vector: [3, 4], payload: { tag: 'five' } },
        { id: 'c', vector: [1, 1], payload: { tag: 'near' } },
        { id: 'd', vector: [-6, 8], payload: { tag: 'ten' } },
      ]);
      const r = await s.nearest([0.9, 0.9], 3);
      expect(r.map((x) => x.id)).toEqual(['c', 'a', 'b']);
      expect(r[0].distance).toBeCloseTo(Math.hypot(0.1, 0.1), 12);
      expect(r[2].distance).toBeCloseTo(Math.hypot(2.1, 3.1), 12);
      expect(r[1].payload).toEqual({ tag: 'origin' });
      await s.close();
    });

    it('agrees with brute force on random data, replaces on upsert, breaks ties by id', async () => {
      const rnd = seeded(7);
      const s = await make(5);
      const pts = Array.from({ length: 300 }, (_, i) => ({ id: `p${String(i).padStart(3, '0')}`, vector: Array.from({ length: 5 }, () => rnd()), payload: { tag: String(i) } }));
      await s.upsert(pts);
      const q = [0.5, 0.5, 0.5, 0.5, 0.5];
      const brute = pts.map((p) => ({ id: p.id, d: Math.hypot(...p.vector.map((x, j) => x - q[j])) })).sort((a, b) => a.d - b.d || a.id.localeCompare(b.id)).slice(0, 10);
      expect((await s.nearest(q, 10)).map((x) => x.id)).toEqual(brute.map((b) => b.id));
      await s.upsert([{ id: brute[0].id, vector: [9, 9, 9, 9, 9], payload: { tag: 'moved' } }]);
      expect((await s.nearest(q, 1))[0].id).toBe(brute[1].id);
      expect(await s.size()).toBe(300);
      const t = await make(1);
      await t.upsert([{ id: 'z', vector: [1], payload: { tag: '' } }, { id: 'y', vector: [-1], payload: { tag: '' } }]);
      expect((await t.nearest([0], 2)).map((x) => x.id)).toEqual(['y', 'z']);
    });
  });
}

contract('memory (exact)', async (dim) => new MemoryVectorStore(dim));
