/**
 * Exponentially weighted correlation of agents' signals, learned from the
 * opinions consensus sees (one observation per market candle). Feeds the
 * correlated-agent shrinkage of Bayesian fusion. Pure and deterministic.
 */
export class SignalCorrelation {
  private readonly index = new Map<string, number>();
  private mean: number[] = [];
  private seen: number[] = [];
  /** Co-moment matrix, row-major over the agent index, grown as agents appear. */
  private cov: number[][] = [];
  private weight: number[][] = [];
  private n = 0;

  /** `halfLife` in observations; `minObs` joint observations before a pair's correlation counts. */
  constructor(private readonly halfLife = 200, private readonly minObs = 30) {}

  private idx(agent: string): number {
    let i = this.index.get(agent);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(agent, i);
      this.mean.push(0);
      this.seen.push(0);
      for (const r of this.cov) r.push(0);
      for (const r of this.weight) r.push(0);
      this.cov.push(new Array<number>(i + 1).fill(0));
      this.weight.push(new Array<number>(i + 1).fill(0));
    }
    return i;
  }

  /** One observation: the signal of every agent that spoke on the same candle. */
  observe(signals: Record<string, number>): void {
    const a = 1 - Math.pow(0.5, 1 / this.halfLife);
    const ids = Object.keys(signals).map((k) => [this.idx(k), signals[k]] as const);
    for (const [i, s] of ids) {
      this.mean[i] = this.seen[i] === 0 ? s : this.mean[i] + a * (s - this.mean[i]);
      this.seen[i]++;
    }
    for (const [i, si] of ids) {
      for (const [j, sj] of ids) {
        const d = (si - this.mean[i]) * (sj - this.mean[j]);
        this.cov[i][j] = this.weight[i][j] === 0 ? d : (1 - a) * this.cov[i][j] + a * d;
        this.weight[i][j] += 1;
      }
    }
    this.n++;
  }

  /** Correlation of two agents' signals in [-1, 1]; 0 until both have `minObs` joint observations. */
  correlation(a: string, b: string): number {
    const i = this.index.get(a);
    const j = this.index.get(b);
    if (i === undefined || j === undefined || this.weight[i][j] < this.minObs) return 0;
    const v = Math.sqrt(this.cov[i][i] * this.cov[j][j]);
    if (!(v > 1e-12)) return 0;
    const r = this.cov[i][j] / v;
    return r > 1 ? 1 : r < -1 ? -1 : r;
  }

  get observations(): number {
    return this.n;
  }
}
