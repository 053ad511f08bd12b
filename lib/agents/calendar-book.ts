/** Scheduled releases by currency, for agents that step back around events. */
import type { CalendarEvent, Importance } from '../../types/events';

export class CalendarBook {
  private readonly byId = new Map<string, CalendarEvent>();
  private readonly byCurrency = new Map<string, CalendarEvent[]>();

  /** Keep entries of at least this importance. */
  constructor(private readonly min: Importance = 'high') {}

  private keeps(i: Importance): boolean {
    const rank = { low: 0, medium: 1, high: 2 };
    return rank[i] >= rank[this.min];
  }

  add(events: readonly CalendarEvent[]): void {
    for (const ev of events) {
      const old = this.byId.get(ev.id);
      if (old) {
        const l = this.byCurrency.get(old.currency)!;
        l.splice(l.indexOf(old), 1);
        this.byId.delete(ev.id);
      }
      if (!this.keeps(ev.importance)) continue;
      this.byId.set(ev.id, ev);
      let l = this.byCurrency.get(ev.currency);
      if (!l) this.byCurrency.set(ev.currency, (l = []));
      let i = l.length;
      while (i > 0 && l[i - 1].time > ev.time) i--;
      l.splice(i, 0, ev);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * The entry of any of `currencies` closest to `asOf` within [asOf − afterMin, asOf + beforeMin]
   * and its distance in minutes (positive: still ahead).
   */
  nearest(currencies: readonly string[], asOf: number, beforeMin: number, afterMin: number): { event: CalendarEvent; minutes: number } | null {
    let best: { event: CalendarEvent; minutes: number } | null = null;
    for (const c of currencies) {
      for (const ev of this.byCurrency.get(c) ?? []) {
        const m = (ev.time - asOf) / 60_000;
        if (m < -afterMin) continue;
        if (m > beforeMin) break;
        if (!best || Math.abs(m) < Math.abs(best.minutes)) best = { event: ev, minutes: m };
      }
    }
    return best;
  }
}
