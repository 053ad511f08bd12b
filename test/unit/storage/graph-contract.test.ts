import { MemoryGraphStore } from '../../../lib/storage/adapters/memory-graph';
import type { GraphStore } from '../../../lib/storage/graph';

/** The contract every GraphStore adapter passes. */
function contract(name: string, make: () => Promise<GraphStore>) {
  describe(`GraphStore contract: ${name}`, () => {
    let g: GraphStore;
    beforeEach(async () => {
      g = await make();
    });
    afterEach(() => g.close());

    it('stores an undirected edge once and replaces it on upsert', async () => {
      await g.upsertEdges([{ a: 'GBPUSD', b: 'EURUSD', kind: 'correlation', weight: 0.6, n: 100, asOf: 1 }]);
      await g.upsertEdges([{ a: 'EURUSD', b: 'GBPUSD', kind: 'correlation', weight: 0.7, n: 120, asOf: 2 }]);
      expect(await g.edge('GBPUSD', 'EURUSD', 'correlation')).toEqual({ a: 'EURUSD', b: 'GBPUSD', kind: 'correlation', weight: 0.7, n: 120, asOf: 2 });
      expect(await g.neighbours('EURUSD', 'correlation')).toHaveLength(1);
    });

    it('keeps kinds apart and orders neighbours by |weight|', async () => {
      await g.upsertEdges([
        { a: 'EURUSD', b: 'GBPUSD', kind: 'correlation', weight: 0.3, n: 10, asOf: 1 },
        { a: 'EURUSD', b: 'NZDUSD', kind: 'correlation', weight: -0.8, n: 10, asOf: 1 },
        { a: 'EURUSD', b: 'XAUUSD', kind: 'agreement', weight: 0.9, n: 10, asOf: 1 },
      ]);
      expect((await g.neighbours('EURUSD', 'correlation')).map((e) => e.weight)).toEqual([-0.8, 0.3]);
      expect(await g.edge('EURUSD', 'XAUUSD', 'correlation')).toBeNull();
      expect(await g.neighbours('EURUSD', 'correlation', 1)).toHaveLength(1);
    });
  });
}

contract('memory', async () => new MemoryGraphStore());
