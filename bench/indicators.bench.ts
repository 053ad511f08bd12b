/**
 * Indicators benchmark: RSI 14, MACD 12/26/9, SMA 20, EMA 20 and Bollinger
 * 20/2 over 100,000 real closes (EURUSD H1 closes from ../shared/data,
 * repeated to 100k), batch and streaming, against `technicalindicators`
 * (CommonJS) and `trading-signals` (ESM, loaded with a dynamic import) in the
 * same process. Reports medians (ms) and ratios.
 *
 * Batch: ours = `compute()` (full-length arrays, null warm-up) and
 * `computeTyped()` (Float64Array); trading-signals = `updates(closes)`;
 * technicalindicators = `X.calculate(...)`. Streaming: all five fed one close
 * at a time; cost per tick of the five together.
 *
 * Runs are interleaved (each run times every library on every indicator in
 * turn) so that load from other processes on a shared machine falls on all of
 * them alike; the minimum per cell is reported too.
 *
 * `npm run build && npm run bench -- indicators [runs=25]`
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as TI from 'technicalindicators';
import { SHARED_DATA_DIR } from '../paths';
import { parseOhlcvCsv } from '../lib/data/ohlcv-csv';
import { BBands, Ema, Macd, Rsi, Sma } from '../lib/indicators';
import { Bench, median, nowNs } from './util';

const N = 100_000;
const NAMES = ['RSI_14', 'MACD_12_26_9', 'SMA_20', 'EMA_20', 'BBANDS_20_2'] as const;
type Name = (typeof NAMES)[number];

/** The slice of trading-signals' API this benchmark uses. */
interface TsIndicator {
  add(x: number): unknown;
  updates(xs: readonly number[]): unknown[];
}
interface TsModule {
  RSI: new (interval: number) => TsIndicator;
  SMA: new (interval: number) => TsIndicator;
  EMA: new (interval: number) => TsIndicator;
  MACD: new (short: TsIndicator, long: TsIndicator, signal: TsIndicator) => TsIndicator;
  BollingerBands: new (interval: number, deviationMultiplier: number) => TsIndicator;
}

async function loadTradingSignals(): Promise<TsModule> {
  // trading-signals is ESM-only; compiled CommonJS would turn `import()` into `require`.
  const dynamicImport = new Function('s', 'return import(s)') as (s: string) => Promise<TsModule>;
  return dynamicImport(pathToFileURL(require.resolve('trading-signals')).href);
}

function closes100k(): number[] {
  const file = path.join(SHARED_DATA_DIR, 'backtesting.py', 'EURUSD.csv');
  const base = parseOhlcvCsv(fs.readFileSync(file, 'utf8'), { source: file }).close;
  const out: number[] = new Array<number>(N);
  for (let i = 0; i < N; i++) out[i] = base[i % base.length];
  return out;
}

let sink = 0;
function consume(v: unknown): void {
  if (typeof v === 'number') sink += v;
  else if (Array.isArray(v)) sink += v.length;
  else if (v && typeof v === 'object') sink += Object.keys(v).length;
}

/** 1-minute load average at the end of the run (this machine's cores are shared with other work). */
function loadAverage(): number {
  return round(os.loadavg()[0], 2);
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));

const bench: Bench = async (args) => {
  const runs = Number(args[0] ?? 25);
  const closes = closes100k();
  const typed = Float64Array.from(closes);
  const TS = await loadTradingSignals();

  const ours: Record<Name, () => unknown> = {
    RSI_14: () => new Rsi(14).compute(closes),
    MACD_12_26_9: () => new Macd(12, 26, 9).compute(closes),
    SMA_20: () => new Sma(20).compute(closes),
    EMA_20: () => new Ema(20).compute(closes),
    BBANDS_20_2: () => new BBands(20, 2).compute(closes),
  };
  const oursTyped: Record<Name, () => unknown> = {
    RSI_14: () => new Rsi(14).computeTyped(typed),
    MACD_12_26_9: () => new Macd(12, 26, 9).computeTyped(typed),
    SMA_20: () => new Sma(20).computeTyped(typed),
    EMA_20: () => new Ema(20).computeTyped(typed),
    BBANDS_20_2: () => new BBands(20, 2).computeTyped(typed),
  };
  const ts: Record<Name, () => unknown> = {
    RSI_14: () => new TS.RSI(14).updates(closes),
    MACD_12_26_9: () => new TS.MACD(new TS.EMA(12), new TS.EMA(26), new TS.EMA(9)).updates(closes),
    SMA_20: () => new TS.SMA(20).updates(closes),
    EMA_20: () => new TS.EMA(20).updates(closes),
    BBANDS_20_2: () => new TS.BollingerBands(20, 2).updates(closes),
  };
  const ti: Record<Name, () => unknown> = {
    RSI_14: () => TI.RSI.calculate({ values: closes, period: 14 }),
    MACD_12_26_9: () => TI.MACD.calculate({ values: closes, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false }),
    SMA_20: () => TI.SMA.calculate({ values: closes, period: 20 }),
    EMA_20: () => TI.EMA.calculate({ values: closes, period: 20 }),
    BBANDS_20_2: () => TI.BollingerBands.calculate({ values: closes, period: 20, stdDev: 2 }),
  };

  // Interleaved: every run times each library on each indicator in turn, so load
  // from other processes on this shared machine hits all of them alike.
  const libs = { ours, oursTyped, tradingSignals: ts, technicalindicators: ti } as const;
  type Lib = keyof typeof libs;
  const samples: Record<Lib, Record<Name, number[]>> = { ours: {} as Record<Name, number[]>, oursTyped: {} as Record<Name, number[]>, tradingSignals: {} as Record<Name, number[]>, technicalindicators: {} as Record<Name, number[]> };
  for (const lib of Object.keys(libs) as Lib[]) for (const name of NAMES) samples[lib][name] = [];
  for (let r = -3; r < runs; r++) {
    for (const name of NAMES) {
      for (const lib of Object.keys(libs) as Lib[]) {
        const t0 = nowNs();
        consume(libs[lib][name]());
        const ms = Number(nowNs() - t0) / 1e6;
        if (r >= 0) samples[lib][name].push(ms);
      }
    }
  }
  const batch = {} as Record<Lib, Record<string, number>>;
  const batchMin = {} as Record<Lib, Record<string, number>>;
  for (const lib of Object.keys(libs) as Lib[]) {
    batch[lib] = {};
    batchMin[lib] = {};
    for (const name of NAMES) {
      batch[lib][name] = round(median(samples[lib][name]));
      batchMin[lib][name] = round(Math.min(...samples[lib][name]));
    }
  }
  const total = (r: Record<string, number>): number => round(NAMES.reduce((s, n) => s + r[n], 0));
  for (const r of [...Object.values(batch), ...Object.values(batchMin)]) r.total = total(r);

  // Streaming: the five together, one close at a time.
  const streamOurs = (): void => {
    const a = new Rsi(14);
    const b = new Macd(12, 26, 9);
    const c = new Sma(20);
    const d = new Ema(20);
    const e = new BBands(20, 2);
    for (let i = 0; i < N; i++) {
      const x = closes[i];
      consume(a.update(x));
      consume(b.update(x));
      consume(c.update(x));
      consume(d.update(x));
      consume(e.update(x));
    }
  };
  const streamTs = (): void => {
    const ind = [new TS.RSI(14), new TS.MACD(new TS.EMA(12), new TS.EMA(26), new TS.EMA(9)), new TS.SMA(20), new TS.EMA(20), new TS.BollingerBands(20, 2)];
    for (let i = 0; i < N; i++) for (const s of ind) consume(s.add(closes[i]));
  };
  const streamTi = (): void => {
    const ind = [
      new TI.RSI({ period: 14, values: [] }),
      new TI.MACD({ values: [], fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false }),
      new TI.SMA({ period: 20, values: [] }),
      new TI.EMA({ period: 20, values: [] }),
      new TI.BollingerBands({ period: 20, stdDev: 2, values: [] }),
    ];
    for (let i = 0; i < N; i++) for (const s of ind) consume(s.nextValue(closes[i]));
  };
  const streamSamples = { ours: [] as number[], tradingSignals: [] as number[], technicalindicators: [] as number[] };
  for (let r = -2; r < runs; r++) {
    for (const [lib, fn] of [['ours', streamOurs], ['tradingSignals', streamTs], ['technicalindicators', streamTi]] as const) {
      const t0 = nowNs();
      fn();
      const ns = Number(nowNs() - t0) / N;
      if (r >= 0) streamSamples[lib].push(ns);
    }
  }
  const streaming = {
    oursNsPerTick: round(median(streamSamples.ours), 1),
    tradingSignalsNsPerTick: round(median(streamSamples.tradingSignals), 1),
    technicalindicatorsNsPerTick: round(median(streamSamples.technicalindicators), 1),
  };

  // One replace per tick (a still-forming bar revised once) costs about a second update.
  const t0 = nowNs();
  {
    const a = new Rsi(14);
    const b = new Macd(12, 26, 9);
    const c = new Sma(20);
    const d = new Ema(20);
    const e = new BBands(20, 2);
    for (let i = 0; i < N; i++) {
      const x = closes[i];
      a.update(x * 1.0001);
      b.update(x * 1.0001);
      c.update(x * 1.0001);
      d.update(x * 1.0001);
      e.update(x * 1.0001);
      consume(a.replace(x));
      consume(b.replace(x));
      consume(c.replace(x));
      consume(d.replace(x));
      consume(e.replace(x));
    }
  }
  const updateReplaceNsPerTick = round(Number(nowNs() - t0) / N, 1);

  const ratio = (a: number, b: number): number => round(a / b, 1);
  const ratios = {
    batchVsTradingSignals: Object.fromEntries([...NAMES, 'total'].map((n) => [n, ratio(batch.tradingSignals[n], batch.ours[n])])),
    batchVsTechnicalindicators: Object.fromEntries([...NAMES, 'total'].map((n) => [n, ratio(batch.technicalindicators[n], batch.ours[n])])),
    batchTypedVsTradingSignals: Object.fromEntries([...NAMES, 'total'].map((n) => [n, ratio(batch.tradingSignals[n], batch.oursTyped[n])])),
    batchTypedVsTechnicalindicators: Object.fromEntries([...NAMES, 'total'].map((n) => [n, ratio(batch.technicalindicators[n], batch.oursTyped[n])])),
    streamingVsTradingSignals: ratio(streaming.tradingSignalsNsPerTick, streaming.oursNsPerTick),
    streamingVsTechnicalindicators: ratio(streaming.technicalindicatorsNsPerTick, streaming.oursNsPerTick),
  };
  const goals = {
    batchTypedTotal10xTradingSignals: ratios.batchTypedVsTradingSignals.total >= 10,
    batchTypedTotal50xTechnicalindicators: ratios.batchTypedVsTechnicalindicators.total >= 50,
    batchNullableTotal10xTradingSignals: ratios.batchVsTradingSignals.total >= 10,
    batchNullableTotal50xTechnicalindicators: ratios.batchVsTechnicalindicators.total >= 50,
    streamingFiveUnder1usPerTick: streaming.oursNsPerTick <= 1000,
  };
  return {
    n: N,
    runs,
    input: 'EURUSD.csv closes (backtesting.py, 5000 H1 bars) repeated to 100,000',
    units: 'batch: median ms per full 100k series; streaming: median ns per tick for all five',
    loadAverage: loadAverage(),
    batch,
    batchMinimum: batchMin,
    streaming: { ...streaming, oursUpdatePlusReplaceNsPerTick: updateReplaceNsPerTick },
    ratios,
    goals,
    checksum: sink,
  };
};

export default bench;
