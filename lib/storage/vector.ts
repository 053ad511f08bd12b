/**
 * The `VectorStore` port: fixed-length vectors with a payload, nearest-neighbour
 * queries by Euclidean distance. Adapters: `MemoryVectorStore` (embedded, exact
 * k-NN, with synchronous twins for pure agents); a Weaviate adapter later
 * (WEAVIATE_URL). Every adapter passes test/unit/storage/vector-contract.test.ts.
 */
export interface VectorItem<P = Record<string, unknown>> {
  id: string;
  vector: ArrayLike<number>;
  payload: P;
}

export interface Neighbour<P = Record<string, unknown>> {
  id: string;
  /** Euclidean distance to the query. */
  distance: number;
  payload: P;
}

export interface VectorStore<P = Record<string, unknown>> {
  readonly dimension: number;
  upsert(items: readonly VectorItem<P>[]): Promise<void>;
  /** The k nearest items, closest first; ties broken by id. */
  nearest(vector: ArrayLike<number>, k: number): Promise<Neighbour<P>[]>;
  size(): Promise<number>;
  close(): Promise<void>;
}
