/** Embedded exact k-NN `VectorStore`: vectors in one growing Float64Array, a linear scan per query. */
import type { Neighbour, VectorItem, VectorStore } from '../vector';

export class MemoryVectorStore<P = Record<string, unknown>> implements VectorStore<P> {
  private data: Float64Array;
  private readonly ids: string[] = [];
  private readonly payloads: P[] = [];
  private readonly index = new Map<string, number>();

  constructor(readonly dimension: number, private readonly capacity = 100_000) {
    this.data = new Float64Array(dimension * 64);
  }

  upsertSync(items: readonly VectorItem<P>[]): void {
    for (const it of items) {
      if (it.vector.length !== this.dimension) throw new Error(`vector of length ${it.vector.length}, store holds ${this.dimension}`);
      let i = this.index.get(it.id);
      if (i === undefined) {
        if (this.ids.length >= this.capacity) this.evictOldest();
        i = this.ids.length;
        if ((i + 1) * this.dimension > this.data.length) {
          const next = new Float64Array(this.data.length * 2);
          next.set(this.data);
          this.data = next;
        }
        this.ids.push(it.id);
        this.payloads.push(it.payload);
        this.index.set(it.id, i);
      } else this.payloads[i] = it.payload;
      for (let j = 0; j < this.dimension; j++) this.data[i * this.dimension + j] = it.vector[j];
    }
  }

  private evictOldest(): void {
    const d = this.dimension;
    this.index.delete(this.ids[0]);
    this.ids.shift();
    this.payloads.shift();
    this.data.copyWithin(0, d, this.ids.length * d + d);
    this.index.clear();
    this.ids.forEach((id, k) => this.index.set(id, k));
  }

  nearestSync(v: ArrayLike<number>, k: number): Neighbour<P>[] {
    const d = this.dimension;
    const n = this.ids.length;
    const best: { i: number; dist: number }[] = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const x = this.data[base + j] - v[j];
        s += x * x;
      }
      if (best.length < k || s < best[best.length - 1].dist || (s === best[best.length - 1].dist && this.ids[i] < this.ids[best[best.length - 1].i])) {
        let p = best.length;
        best.push({ i, dist: s });
        while (p > 0 && (best[p - 1].dist > s || (best[p - 1].dist === s && this.ids[best[p - 1].i] > this.ids[i]))) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = { i, dist: s };
        if (best.length > k) best.pop();
      }
    }
    return best.map((b) => ({ id: this.ids[b.i], distance: Math.sqrt(b.dist), payload: this.payloads[b.i] }));
  }

  get count(): number {
    return this.ids.length;
  }

  async upsert(items: readonly VectorItem<P>[]): Promise<void> {
    this.upsertSync(items);
  }

  async nearest(v: ArrayLike<number>, k: number): Promise<Neighbour<P>[]> {
    return this.nearestSync(v, k);
  }

  async size(): Promise<number> {
    return this.ids.length;
  }

  async close(): Promise<void> {
    this.ids.length = 0;
    this.payloads.length = 0;
    this.index.clear();
  }
}
