/**
 * The `VectorStore` port: records (a vector plus flat scalar properties) and
 * exact k-nearest-neighbour search by squared Euclidean distance, optionally
 * restricted by equality on properties.
 *
 * Adapters: `MemoryVectorStore` (embedded, in-process, exact brute force; also
 * synchronous for pure agents) and `WeaviateVectorStore` (WEAVIATE_URL; a
 * collection with a flat index and the `l2-squared` metric, so its search is
 * exact too). Every adapter passes test/unit/storage/vector-contract.test.ts.
 *
 * Conventions: ids are caller strings (adapters map them to what the backend
 * needs); ties in distance are broken by id so results are deterministic; a
 * collection's vector length is fixed by its first record.
 */
export type PropertyType = 'text' | 'number' | 'boolean';
export type PropertyValue = string | number | boolean;

/** Property names and types of a collection (what Weaviate needs in its schema). */
export type VectorSchema = Record<string, PropertyType>;

export interface VectorRecord {
  id: string;
  vector: readonly number[];
  properties: Record<string, PropertyValue>;
}

export interface VectorMatch {
  id: string;
  /** Squared Euclidean distance to the query vector. */
  distance: number;
  properties: Record<string, PropertyValue>;
}

export interface VectorQuery {
  vector: readonly number[];
  k: number;
  /** Every property here must equal the record's. */
  where?: Record<string, PropertyValue>;
}

export interface VectorStore {
  readonly kind: 'memory' | 'weaviate';
  /** Insert or replace by id. */
  upsert(records: readonly VectorRecord[]): Promise<void>;
  /** The k nearest records (fewer when the collection is smaller), nearest first. */
  query(q: VectorQuery): Promise<VectorMatch[]>;
  get(id: string): Promise<VectorRecord | null>;
  delete(ids: readonly string[]): Promise<void>;
  count(where?: Record<string, PropertyValue>): Promise<number>;
  close(): Promise<void>;
}

/** Squared Euclidean distance; throws on vectors of different length. */
export function squaredDistance(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`vector length ${b.length} does not match ${a.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/** Check a record against a schema (property names and types); returns the problems. */
export function schemaProblems(schema: VectorSchema, r: VectorRecord): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(r.properties)) {
    const t = schema[k];
    if (!t) out.push(`unknown property ${k}`);
    else if ((t === 'text' && typeof v !== 'string') || (t === 'number' && (typeof v !== 'number' || !Number.isFinite(v))) || (t === 'boolean' && typeof v !== 'boolean')) out.push(`property ${k} must be ${t}`);
  }
  if (!r.vector.every((x) => Number.isFinite(x))) out.push('vector has a non-finite component');
  return out;
}
