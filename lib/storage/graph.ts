/**
 * The `GraphStore` port: weighted, undirected relations between named nodes
 * (symbols, agents), e.g. the return correlation of two symbols. Adapters:
 * `MemoryGraphStore` (embedded, in-process; also offers synchronous access for
 * pure agents); an ArangoDB adapter later (ARANGO_URL). Every adapter passes
 * the contract test in test/unit/storage/graph-contract.test.ts.
 */
export interface GraphEdge {
  /** Node ids; stored with a ≤ b so (a, b) and (b, a) are one edge. */
  a: string;
  b: string;
  /** Relation kind: 'correlation', 'agreement' … */
  kind: string;
  weight: number;
  /** Observations behind the weight. */
  n: number;
  /** Data time (ms) the weight is valid for. */
  asOf: number;
}

export interface GraphStore {
  upsertEdges(edges: readonly GraphEdge[]): Promise<void>;
  edge(a: string, b: string, kind: string): Promise<GraphEdge | null>;
  /** Edges of `kind` touching `node`, strongest |weight| first. */
  neighbours(node: string, kind: string, limit?: number): Promise<GraphEdge[]>;
  close(): Promise<void>;
}

/** Canonical orientation of an edge's endpoints. */
export function orient(a: string, b: string): [string, string] {
  return a <= b ? [a, b] : [b, a];
}
