/** Embedded in-process `GraphStore`: adjacency maps. Synchronous twins of each method serve pure agents. */
import { GraphEdge, GraphStore, orient } from '../graph';

export class MemoryGraphStore implements GraphStore {
  private readonly edges = new Map<string, GraphEdge>();
  private readonly adj = new Map<string, Set<string>>();

  private static key(a: string, b: string, kind: string): string {
    return `${kind}\u0000${a}\u0000${b}`;
  }

  upsertEdgeSync(e: GraphEdge): void {
    const [a, b] = orient(e.a, e.b);
    const k = MemoryGraphStore.key(a, b, e.kind);
    this.edges.set(k, { ...e, a, b });
    for (const n of [a, b]) {
      let s = this.adj.get(n);
      if (!s) this.adj.set(n, (s = new Set()));
      s.add(k);
    }
  }

  edgeSync(a: string, b: string, kind: string): GraphEdge | null {
    const [x, y] = orient(a, b);
    return this.edges.get(MemoryGraphStore.key(x, y, kind)) ?? null;
  }

  neighboursSync(node: string, kind: string, limit = 100): GraphEdge[] {
    const out: GraphEdge[] = [];
    for (const k of this.adj.get(node) ?? []) {
      const e = this.edges.get(k)!;
      if (e.kind === kind) out.push(e);
    }
    return out.sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight) || (x.a + x.b).localeCompare(y.a + y.b)).slice(0, limit);
  }

  get size(): number {
    return this.edges.size;
  }

  async upsertEdges(edges: readonly GraphEdge[]): Promise<void> {
    for (const e of edges) this.upsertEdgeSync(e);
  }

  async edge(a: string, b: string, kind: string): Promise<GraphEdge | null> {
    return this.edgeSync(a, b, kind);
  }

  async neighbours(node: string, kind: string, limit?: number): Promise<GraphEdge[]> {
    return this.neighboursSync(node, kind, limit);
  }

  async close(): Promise<void> {
    this.edges.clear();
    this.adj.clear();
  }
}
