/**
 * What the market did after an opinion or decision: items wait until
 * `horizonBars` bars of their timeframe have closed after `asOf`, then resolve
 * with the h-bar return r (from the close at asOf to the close of the first bar
 * ending at or after the horizon), r in units of the symbol's median |h-bar
 * return| (z), and the outcome class: buy above the dead zone (median × `deadZone`),
 * sell below its negative, hold inside.
 */
import type { Action } from '../../types/agents';
import { Candle, TF_MS, Timeframe } from '../../types/market';
import { BarStore } from './bars';
import { median } from './stats';

export interface Resolved<T> {
  item: T;
  r: number;
  z: number;
  outcome: Action;
}

export class OutcomeTracker<T> {
  private readonly bars = new BarStore(2000);
  private readonly pending = new Map<string, { asOf: number; due: number; item: T }[]>();

  constructor(private readonly horizonBars: number, private readonly deadZone = 0.5) {}

  add(symbol: string, tf: Timeframe, asOf: number, item: T): void {
    const k = `${symbol}|${tf}`;
    let l = this.pending.get(k);
    if (!l) this.pending.set(k, (l = []));
    l.push({ asOf, due: asOf + this.horizonBars * TF_MS[tf], item });
  }

  get waiting(): number {
    let n = 0;
    for (const l of this.pending.values()) n += l.length;
    return n;
  }

  /** Fold a closed candle in; returns the items it resolves. */
  onCandle(c: Candle): Resolved<T>[] {
    this.bars.add(c);
    const k = `${c.symbol}|${c.tf}`;
    const l = this.pending.get(k);
    if (!l || l.length === 0) return [];
    const end = c.t + TF_MS[c.tf];
    const h = this.horizonBars;
    const bars = this.bars.get(c.symbol, c.tf);
    const moves: number[] = [];
    for (let i = Math.max(h, bars.length - 500); i < bars.length; i++) moves.push(Math.abs(bars[i].c / bars[i - h].c - 1));
    const scale = moves.length >= 20 ? median(moves) : 0;
    const out: Resolved<T>[] = [];
    const keep: typeof l = [];
    for (const p of l) {
      if (p.due > end) {
        keep.push(p);
        continue;
      }
      const at = this.bars.get(c.symbol, c.tf, p.asOf);
      const c0 = at[at.length - 1];
      if (!c0 || c0.t + TF_MS[c.tf] !== p.asOf) continue;
      const r = c.c / c0.c - 1;
      const dz = scale * this.deadZone;
      out.push({ item: p.item, r, z: scale > 0 ? r / scale : 0, outcome: r > dz ? 'buy' : r < -dz ? 'sell' : 'hold' });
    }
    this.pending.set(k, keep);
    return out;
  }
}
