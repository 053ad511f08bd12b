/**
 * Embedded `VectorStore`: exact k-NN by brute force over the records held,
 * with synchronous twins for pure agents. Bounded: past `capacity` records the
 * oldest inserted are dropped.
 */
import { DomainError } from '../../errors';
import { PropertyValue, schemaProblems, squaredDistance, VectorMatch, VectorQuery, VectorRecord, VectorSchema, VectorStore } from '../vector';

export class MemoryVectorStore implements VectorStore {
  readonly kind = 'memory' as const;
  private readonly records = new Map<string, VectorRecord>();
  private dim: number | null = null;

  constructor(
    readonly schema: VectorSchema,
    readonly capacity = 100_000,
  ) {}

  get size(): number {
    return this.records.size;
  }

  upsertSync(records: readonly VectorRecord[]): void {
    for (const r of records) {
      const bad = schemaProblems(this.schema, r);
      if (this.dim !== null && r.vector.length !== this.dim) bad.push(`vector length ${r.vector.length}, the collection holds ${this.dim}`);
      if (bad.length > 0) throw new DomainError('BAD_VECTOR', `record ${r.id}: ${bad.join('; ')}`, 422);
      this.dim ??= r.vector.length;
      this.records.delete(r.id); // re-insertion moves it to the newest end
      this.records.set(r.id, { id: r.id, vector: [...r.vector], properties: { ...r.properties } });
    }
    while (this.records.size > this.capacity) this.records.delete(this.records.keys().next().value as string);
  }

  private matches(r: VectorRecord, where?: Record<string, PropertyValue>): boolean {
    if (!where) return true;
    for (const [k, v] of Object.entries(where)) if (r.properties[k] !== v) return false;
    return true;
  }

  /** Exact k nearest, nearest first, ties by id; `accept` filters further (e.g. by time). */
  querySync(q: VectorQuery, accept?: (r: VectorRecord) => boolean): VectorMatch[] {
    if (q.k <= 0 || this.records.size === 0) return [];
    if (this.dim !== null && q.vector.length !== this.dim) throw new DomainError('BAD_VECTOR', `query vector length ${q.vector.length}, the collection holds ${this.dim}`, 422);
    const best: VectorMatch[] = [];
    for (const r of this.records.values()) {
      if (!this.matches(r, q.where) || (accept && !accept(r))) continue;
      const d = squaredDistance(q.vector, r.vector);
      if (best.length === q.k) {
        const worst = best[best.length - 1];
        if (d > worst.distance || (d === worst.distance && r.id > worst.id)) continue;
        best.pop();
      }
      // insertion keeps `best` sorted (k is small)
      let i = best.length;
      while (i > 0 && (best[i - 1].distance > d || (best[i - 1].distance === d && best[i - 1].id > r.id))) i--;
      best.splice(i, 0, { id: r.id, distance: d, properties: { ...r.properties } });
    }
    return best;
  }

  getSync(id: string): VectorRecord | null {
    const r = this.records.get(id);
    return r ? { id: r.id, vector: [...r.vector], properties: { ...r.properties } } : null;
  }

  countSync(where?: Record<string, PropertyValue>): number {
    if (!where) return this.records.size;
    let n = 0;
    for (const r of this.records.values()) if (this.matches(r, where)) n++;
    return n;
  }

  async upsert(records: readonly VectorRecord[]): Promise<void> {
    this.upsertSync(records);
  }

  async query(q: VectorQuery): Promise<VectorMatch[]> {
    return this.querySync(q);
  }

  async get(id: string): Promise<VectorRecord | null> {
    return this.getSync(id);
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.records.delete(id);
  }

  async count(where?: Record<string, PropertyValue>): Promise<number> {
    return this.countSync(where);
  }

  async close(): Promise<void> {
    this.records.clear();
  }
}
