import { readTimeframe, TechnicalIndicatorAgent } from '../../../agents/research/technical-indicator/technical-indicator.agent';
import { RANK_TIE, TfReading } from '../../../agents/research/technical-indicator/indicator-track';
import { resample } from '../../../lib/agents/bars';
import { Candle, TF_MS } from '../../../types/market';
import { Rsi } from '../../../lib/indicators';
import { percentileRank } from '../../../lib/agents/stats';
import { eurusdH1, googD1, mirror } from '../../helpers/bars';
import { every, opinionsAt } from '../../helpers/agent-run';

describe('technical-indicator agent on EURUSD H1', () => {
  const bars = eurusdH1();
  const points = every(400, bars.length, 97);
  const ops = opinionsAt(new TechnicalIndicatorAgent(), bars, points);

  it('flips its signal exactly on the mirrored series', () => {
    const m = opinionsAt(new TechnicalIndicatorAgent(), mirror(bars), points);
    for (const i of points) {
      expect(m.get(i)!.signal).toBeCloseTo(-ops.get(i)!.signal, 9);
      expect(m.get(i)!.confidence).toBeCloseTo(ops.get(i)!.confidence, 9);
    }
  });

  it('ranks RSI against the symbol’s own history: the same RSI can be stretched for one symbol and not another', () => {
    const i = points[40];
    const closes = bars.slice(0, i + 1).map((b) => b.c); // every bar so far: the agent's RSI runs from the first one
    const rsi = Array.from(new Rsi(14).computeTyped(closes).values).filter(Number.isFinite).slice(-250);
    const o = ops.get(i)!;
    expect(o.features!.rsi_H1).toBeCloseTo(rsi[rsi.length - 1], 9);
    expect(o.features!.rsiRank_H1).toBeCloseTo(percentileRank(rsi, rsi[rsi.length - 1], RANK_TIE), 12);
    expect(o.rationale).toMatch(/H1: RSI [\d.]+ \((stretched up|stretched down|mid-range); its own 10–90% band [\d.]+–[\d.]+\)/);
    expect(o.rationale).toMatch(/D1: RSI/);
  });

  it('reads the top of a range as a sell and the bottom as a buy when the trend is weak, and follows a strong trend', () => {
    let checked = 0;
    for (const i of points) {
      const r = readTimeframe(bars.slice(Math.max(0, i - 309), i + 1), 250)!;
      if (r.adxRank < 0.2 && r.rsiRank > 0.9 && r.kRank > 0.8) {
        expect(r.score).toBeLessThan(0);
        checked++;
      }
      if (r.adxRank < 0.2 && r.rsiRank < 0.1 && r.kRank < 0.2) {
        expect(r.score).toBeGreaterThan(0);
        checked++;
      }
      if (r.adxRank > 0.9 && Math.sign(r.macdZ) === Math.sign(r.di) && Math.abs(r.di) > 0.3) {
        expect(Math.sign(r.score)).toBe(Math.sign(r.di));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
  });
});

describe('technical-indicator on GOOG daily', () => {
  it('follows the strong 2008 downtrend', () => {
    const g = googD1();
    const i = g.findIndex((b) => b.t >= Date.parse('2008-10-10'));
    const o = opinionsAt(new TechnicalIndicatorAgent(), g, [i]).get(i)!;
    expect(o.features!.adxRank_D1).toBeGreaterThan(0.7);
    expect(o.signal).toBeLessThan(0);
    expect(o.rationale).toMatch(/strong trend for this symbol .* −DI leads/);
  });
});

describe('technical-indicator incremental state', () => {
  const bars = eurusdH1().slice(0, 4400); // within what the agent's store keeps untrimmed, so its tracks start at bar 0
  const reading = (b: readonly Candle[]) => readTimeframe(b, 250)!;
  const feats = (r: TfReading) => ({ [`rsi_${r.tf}`]: r.rsi, [`rsiRank_${r.tf}`]: r.rsiRank, [`adxRank_${r.tf}`]: r.adxRank, [`macdZ_${r.tf}`]: r.macdZ, [`score_${r.tf}`]: r.score });
  const asOfBar = (b: Candle) => b.t + TF_MS[b.tf];

  it('reads exactly what a computation from scratch over the same bars reads, on its own timeframe and resampled', () => {
    const points = every(3000, bars.length, 211);
    const ops = opinionsAt(new TechnicalIndicatorAgent(), bars, points);
    for (const i of points) {
      const upTo = bars.slice(0, i + 1);
      expect(ops.get(i)!.features).toMatchObject({ ...feats(reading(upTo)), ...feats(reading(resample(upTo, 'D1'))) });
    }
  });

  it('starts over from its store when a bar arrives out of order or is revised', () => {
    const i = 3300;
    const held = 3100;
    const a = new TechnicalIndicatorAgent();
    const q = { symbol: 'EURUSD', tf: 'H1' as const, asOf: asOfBar(bars[i]) };
    bars.slice(0, i + 1).forEach((c, k) => k !== held && a.update({ type: 'candle.closed', candle: c }));
    a.opine(q);
    a.update({ type: 'candle.closed', candle: bars[held] });
    const inOrder = bars.slice(0, i + 1);
    expect(a.opine(q).features).toMatchObject(feats(reading(inOrder)));
    const revised = inOrder.map((c, k) => (k === 3250 || k === i ? { ...c, c: c.c + 0.002, h: Math.max(c.h, c.c + 0.002) } : c));
    a.update({ type: 'candle.closed', candle: revised[3250] });
    a.update({ type: 'candle.closed', candle: revised[i] });
    const o = a.opine(q);
    expect(o.features).toMatchObject({ ...feats(reading(revised)), ...feats(reading(resample(revised, 'D1'))) });
    a.update({ type: 'candle.closed', candle: revised[i] }); // the same candle again changes nothing
    expect(a.opine(q)).toEqual(o);
  });

  it('answers a query in the past from the bars up to then, and carries on unchanged afterwards', () => {
    const a = new TechnicalIndicatorAgent();
    const i = 3500;
    const now = opinionsAt(a, bars.slice(0, i + 1), [i]).get(i)!;
    const past = a.opine({ symbol: 'EURUSD', tf: 'H1', asOf: asOfBar(bars[3200]) });
    const upTo = bars.slice(0, 3201);
    expect(past.features).toMatchObject({ ...feats(reading(upTo)), ...feats(reading(resample(upTo, 'D1'))) });
    const again = a.opine({ symbol: 'EURUSD', tf: 'H1', asOf: asOfBar(bars[i]) });
    expect({ ...again, latencyMs: 0 }).toEqual(now);
  });

  it('keeps a bounded number of tracks, each a fixed size', () => {
    const a = new TechnicalIndicatorAgent();
    const base = bars.slice(0, 130);
    for (let s = 0; s < 300; s++) {
      const symbol = `SYM${s}`;
      for (const c of base) a.update({ type: 'candle.closed', candle: { ...c, symbol } });
      a.opine({ symbol, tf: 'H1' });
    }
    expect(a.snapshot().tracks).toBeLessThanOrEqual(256);
    // A dropped track is rebuilt from the store when read again.
    const o = a.opine({ symbol: 'SYM0', tf: 'H1' });
    expect(o.features).toMatchObject(feats(reading(base.map((c) => ({ ...c, symbol: 'SYM0' })))));
  });
});
