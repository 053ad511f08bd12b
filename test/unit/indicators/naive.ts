/**
 * Plain reference implementations for the tests, written from the
 * definitions (and TA-Lib's documented seeding) with arrays and O(n·p) loops,
 * deliberately not sharing code or structure with lib/indicators.
 */
import type { OhlcvData } from '../../../lib/data/ohlcv-csv';

export type Arr = (number | null)[];

const nulls = (n: number): Arr => Array.from({ length: n }, () => null);
const windowOf = (x: ArrayLike<number>, i: number, p: number): number[] => Array.from({ length: p }, (_, j) => x[i - p + 1 + j]);
const mean = (w: number[]): number => w.reduce((a, b) => a + b, 0) / w.length;

export function naiveSma(x: ArrayLike<number>, p: number): Arr {
  return Array.from(x, (_, i) => (i < p - 1 ? null : mean(windowOf(x, i, p))));
}

/** EMA seeded with the mean of the first p values starting at `from`; null inputs before `from` are ignored. */
export function naiveEma(x: ArrayLike<number | null>, p: number, from = 0): Arr {
  const out = nulls(x.length);
  const k = 2 / (p + 1);
  let e = 0;
  for (let i = from + p - 1; i < x.length; i++) {
    if (i === from + p - 1) {
      let s = 0;
      for (let j = from; j <= i; j++) s += x[j] as number;
      e = s / p;
    } else e = e + k * ((x[i] as number) - e);
    out[i] = e;
  }
  return out;
}

export function naiveRsi(x: ArrayLike<number>, p: number): Arr {
  const out = nulls(x.length);
  let ag = 0;
  let al = 0;
  for (let i = 1; i < x.length; i++) {
    const ch = x[i] - x[i - 1];
    const g = Math.max(ch, 0);
    const l = Math.max(-ch, 0);
    if (i <= p) {
      ag += g / p;
      al += l / p;
    } else {
      ag = (ag * (p - 1) + g) / p;
      al = (al * (p - 1) + l) / p;
    }
    if (i >= p) out[i] = ag + al === 0 ? 0 : 100 - 100 / (1 + ag / al);
  }
  return out;
}

export function naiveStd(x: ArrayLike<number>, p: number, i: number): number {
  const w = windowOf(x, i, p);
  const m = mean(w);
  return Math.sqrt(w.reduce((a, v) => a + (v - m) ** 2, 0) / p);
}

export function naiveWma(x: ArrayLike<number>, p: number): Arr {
  return Array.from(x, (_, i) => {
    if (i < p - 1) return null;
    let s = 0;
    for (let j = 0; j < p; j++) s += x[i - p + 1 + j] * (j + 1);
    return s / ((p * (p + 1)) / 2);
  });
}

export function trueRanges(d: OhlcvData): Arr {
  return Array.from(d.close, (_, i) => (i === 0 ? null : Math.max(d.high[i] - d.low[i], Math.abs(d.high[i] - d.close[i - 1]), Math.abs(d.low[i] - d.close[i - 1]))));
}

/** Wilder average of `x` (defined from index `first`): mean of the first p, then (prev·(p−1)+x)/p. */
export function naiveWilder(x: Arr, p: number, first: number): Arr {
  const out = nulls(x.length);
  let a = 0;
  for (let i = first + p - 1; i < x.length; i++) {
    if (i === first + p - 1) a = mean(x.slice(first, i + 1) as number[]);
    else a = (a * (p - 1) + (x[i] as number)) / p;
    out[i] = a;
  }
  return out;
}

export function naiveAtr(d: OhlcvData, p: number): Arr {
  return naiveWilder(trueRanges(d), p, 1);
}

/** TA-Lib's ADX recurrence written out with arrays. */
export function naiveAdx(d: OhlcvData, p: number): { adx: Arr; plusDI: Arr; minusDI: Arr } {
  const n = d.close.length;
  const tr = trueRanges(d);
  const pdm: number[] = [0];
  const mdm: number[] = [0];
  for (let i = 1; i < n; i++) {
    const up = d.high[i] - d.high[i - 1];
    const down = d.low[i - 1] - d.low[i];
    pdm.push(up > 0 && up > down ? up : 0);
    mdm.push(down > 0 && down > up ? down : 0);
  }
  const adx = nulls(n);
  const plusDI = nulls(n);
  const minusDI = nulls(n);
  // sums of bars 1..p-1, then Wilder: s = s - s/p + x from bar p on
  let sp = 0;
  let sm = 0;
  let st = 0;
  for (let i = 1; i < p; i++) {
    sp += pdm[i];
    sm += mdm[i];
    st += tr[i] as number;
  }
  const dx = nulls(n);
  for (let i = p; i < n; i++) {
    sp = sp - sp / p + pdm[i];
    sm = sm - sm / p + mdm[i];
    st = st - st / p + (tr[i] as number);
    const pdi = st === 0 ? 0 : (100 * sp) / st;
    const mdi = st === 0 ? 0 : (100 * sm) / st;
    dx[i] = pdi + mdi === 0 ? null : (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
    if (i >= 2 * p - 1) {
      plusDI[i] = pdi;
      minusDI[i] = mdi;
    }
  }
  let a = 0;
  for (let i = 2 * p - 1; i < n; i++) {
    if (i === 2 * p - 1) a = dx.slice(p, 2 * p).reduce((s: number, v) => s + (v ?? 0), 0) / p;
    else if (dx[i] !== null) a = (a * (p - 1) + (dx[i] as number)) / p;
    adx[i] = a;
  }
  return { adx, plusDI, minusDI };
}

const hh = (x: ArrayLike<number>, i: number, p: number): number => Math.max(...windowOf(x, i, p));
const ll = (x: ArrayLike<number>, i: number, p: number): number => Math.min(...windowOf(x, i, p));

export function naiveStoch(d: OhlcvData, fk: number, sk: number, sd: number): { k: Arr; d: Arr } {
  const n = d.close.length;
  const raw: number[] = [];
  for (let i = fk - 1; i < n; i++) {
    const H = hh(d.high, i, fk);
    const L = ll(d.low, i, fk);
    raw.push(H === L ? 0 : (100 * (d.close[i] - L)) / (H - L));
  }
  const slowK = naiveSma(raw, sk);
  const slowD = naiveSma(slowK.slice(sk - 1) as number[], sd);
  const lb = fk - 1 + sk - 1 + sd - 1;
  const k = nulls(n);
  const dd = nulls(n);
  for (let i = lb; i < n; i++) {
    k[i] = slowK[i - (fk - 1)];
    dd[i] = slowD[i - (fk - 1) - (sk - 1)];
  }
  return { k, d: dd };
}

export function naiveStochRsi(x: ArrayLike<number>, p: number, fk: number, fd: number): { k: Arr; d: Arr } {
  const rsi = naiveRsi(x, p).slice(p) as number[];
  const raw: number[] = [];
  for (let i = fk - 1; i < rsi.length; i++) {
    const H = hh(rsi, i, fk);
    const L = ll(rsi, i, fk);
    raw.push(H === L ? 0 : (100 * (rsi[i] - L)) / (H - L));
  }
  const dd = naiveSma(raw, fd);
  const lb = p + fk - 1 + fd - 1;
  const k = nulls(x.length);
  const d = nulls(x.length);
  for (let i = lb; i < x.length; i++) {
    k[i] = raw[i - p - (fk - 1)];
    d[i] = dd[i - p - (fk - 1)];
  }
  return { k, d };
}

export function naiveCci(d: OhlcvData, p: number): Arr {
  const tp = Array.from(d.close, (c, i) => (d.high[i] + d.low[i] + c) / 3);
  return tp.map((t, i) => {
    if (i < p - 1) return null;
    const w = windowOf(tp, i, p);
    const m = mean(w);
    const md = mean(w.map((v) => Math.abs(v - m)));
    return md === 0 ? 0 : (t - m) / (0.015 * md);
  });
}

export function naiveWillR(d: OhlcvData, p: number): Arr {
  return Array.from(d.close, (c, i) => {
    if (i < p - 1) return null;
    const H = hh(d.high, i, p);
    const L = ll(d.low, i, p);
    return H === L ? 0 : (-100 * (H - c)) / (H - L);
  });
}

export function naiveObv(d: OhlcvData): Arr {
  const out: Arr = [];
  let o = 0;
  for (let i = 0; i < d.close.length; i++) {
    if (i === 0) o = d.volume[0];
    else if (d.close[i] > d.close[i - 1]) o += d.volume[i];
    else if (d.close[i] < d.close[i - 1]) o -= d.volume[i];
    out.push(o);
  }
  return out;
}

/**
 * MFI with current TA-Lib's "unchanged" rule: typical prices that differ only
 * by rounding (relative 1e-14) count as unchanged. EURUSD has such a pair:
 * bar 597's (h+l+c)/3 is 1.1177400000000002 after 1.11774.
 */
export function naiveMfi(d: OhlcvData, p: number): Arr {
  const tp = Array.from(d.close, (c, i) => (d.high[i] + d.low[i] + c) / 3);
  const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-14 * (Math.abs(a) + Math.abs(b));
  return tp.map((_, i) => {
    if (i < p) return null;
    let pos = 0;
    let neg = 0;
    for (let j = i - p + 1; j <= i; j++) {
      if (same(tp[j], tp[j - 1])) continue;
      if (tp[j] > tp[j - 1]) pos += tp[j] * d.volume[j];
      else neg += tp[j] * d.volume[j];
    }
    return pos + neg === 0 ? 0 : (100 * pos) / (pos + neg);
  });
}

export function naiveDonchian(d: OhlcvData, p: number): { upper: Arr; middle: Arr; lower: Arr } {
  const upper = Array.from(d.high, (_, i) => (i < p - 1 ? null : hh(d.high, i, p)));
  const lower = Array.from(d.low, (_, i) => (i < p - 1 ? null : ll(d.low, i, p)));
  return { upper, lower, middle: upper.map((u, i) => (u === null ? null : (u + (lower[i] as number)) / 2)) };
}

export function naiveVwap(d: OhlcvData, startHour = 0): Arr {
  const day = (t: number): number => Math.floor((t - startHour * 3_600_000) / 86_400_000);
  return d.timestamps.map((t, i) => {
    let pv = 0;
    let v = 0;
    for (let j = i; j >= 0 && day(d.timestamps[j]) === day(t); j--) {
      pv += ((d.high[j] + d.low[j] + d.close[j]) / 3) * d.volume[j];
      v += d.volume[j];
    }
    return pv / v;
  });
}

/** SuperTrend as in TradingView's Pine `ta.supertrend`, over a given ATR series. */
export function naiveSuperTrend(d: OhlcvData, atr: Arr, m: number): { value: Arr; direction: Arr } {
  const n = d.close.length;
  const value = nulls(n);
  const direction = nulls(n);
  let pu = 0;
  let pl = 0;
  let pst = 0;
  let started = false;
  for (let i = 0; i < n; i++) {
    if (atr[i] === null) continue;
    const hl2 = (d.high[i] + d.low[i]) / 2;
    let up = hl2 + m * (atr[i] as number);
    let lo = hl2 - m * (atr[i] as number);
    let dir: number;
    if (!started) {
      dir = 1; // Pine: 1 = down
      started = true;
    } else {
      lo = lo > pl || d.close[i - 1] < pl ? lo : pl;
      up = up < pu || d.close[i - 1] > pu ? up : pu;
      dir = pst === pu ? (d.close[i] > up ? -1 : 1) : d.close[i] < lo ? 1 : -1;
    }
    const st = dir === -1 ? lo : up;
    value[i] = st;
    direction[i] = -dir;
    pu = up;
    pl = lo;
    pst = st;
  }
  return { value, direction };
}

export function naiveIchimoku(d: OhlcvData, t: number, k: number, s: number, disp: number): Record<'tenkan' | 'kijun' | 'spanA' | 'spanB' | 'leadA' | 'leadB', Arr> {
  const n = d.close.length;
  const mid = (i: number, p: number): number | null => (i < p - 1 ? null : (hh(d.high, i, p) + ll(d.low, i, p)) / 2);
  const tenkan = Array.from({ length: n }, (_, i) => mid(i, t));
  const kijun = Array.from({ length: n }, (_, i) => mid(i, k));
  const leadA = tenkan.map((v, i) => (v === null || kijun[i] === null ? null : (v + (kijun[i] as number)) / 2));
  const leadB = Array.from({ length: n }, (_, i) => mid(i, s));
  const shift = (a: Arr): Arr => a.map((_, i) => (i - (disp - 1) >= 0 ? a[i - (disp - 1)] : null));
  const lb = Math.max(t, k, s) - 1 + disp - 1;
  const mask = (a: Arr): Arr => a.map((v, i) => (i < lb ? null : v));
  return { tenkan: mask(tenkan), kijun: mask(kijun), spanA: mask(shift(leadA)), spanB: mask(shift(leadB)), leadA: mask(leadA), leadB: mask(leadB) };
}
