/**
 * INTERIM — replace with the shared OHLCV CSV reader once it lands on main.
 *
 * Reads `time,Open,High,Low,Close[,Volume]` with a header (the time column may
 * be unnamed, as pandas writes it). Times: `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` read
 * as UTC, or epoch seconds/ms. Throws DomainError('BAD_CSV') naming the line.
 */
import { DomainError } from '../errors';
import type { BarSeries } from './types';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parse one timestamp to ms since epoch UTC, or NaN. */
export function parseTime(s: string): number {
  const m = ISO.exec(s);
  if (m) {
    let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0);
    if (m[7]) ms += Math.round(parseFloat(m[7]) * 1000);
    if (m[8] && m[8] !== 'Z') {
      const sign = m[8][0] === '-' ? -1 : 1;
      const hhmm = m[8].slice(1).replace(':', '');
      ms -= sign * (+hhmm.slice(0, 2) * 60 + +hhmm.slice(2)) * 60000;
    }
    return ms;
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    const x = Number(s);
    return x < 1e11 ? x * 1000 : x; // seconds before ~5138 AD, else ms
  }
  return NaN;
}

export function parseOhlcvCsv(text: string, symbol?: string): BarSeries {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length < 2) throw new DomainError('BAD_CSV', 'CSV has no data rows');
  const head = lines[0].split(',').map((x) => x.trim().toLowerCase());
  const col = (names: string[]): number => head.findIndex((h) => names.includes(h));
  const it = col(['', 'time', 'date', 'datetime', 'timestamp']);
  const io = col(['open', 'o']);
  const ih = col(['high', 'h']);
  const il = col(['low', 'l']);
  const ic = col(['close', 'c']);
  const iv = col(['volume', 'vol', 'v']);
  if (it < 0 || io < 0 || ih < 0 || il < 0 || ic < 0) {
    throw new DomainError('BAD_CSV', `CSV header must name a time column and Open, High, Low, Close; got "${lines[0]}"`);
  }
  const n = lines.length - 1;
  const t = new Float64Array(n);
  const o = new Float64Array(n);
  const h = new Float64Array(n);
  const l = new Float64Array(n);
  const c = new Float64Array(n);
  const v = new Float64Array(n).fill(NaN);
  for (let k = 0; k < n; k++) {
    const f = lines[k + 1].split(',');
    const line = k + 2;
    t[k] = parseTime((f[it] ?? '').trim());
    if (t[k] !== t[k]) throw new DomainError('BAD_CSV', `line ${line}: bad time ${JSON.stringify(f[it])}`);
    if (k > 0 && t[k] <= t[k - 1]) throw new DomainError('BAD_CSV', `line ${line}: time not after the previous row`);
    const num = (j: number, name: string): number => {
      const x = Number((f[j] ?? '').trim());
      if ((f[j] ?? '').trim() === '' || !Number.isFinite(x)) throw new DomainError('BAD_CSV', `line ${line}: bad ${name} ${JSON.stringify(f[j])}`);
      return x;
    };
    o[k] = num(io, 'Open');
    h[k] = num(ih, 'High');
    l[k] = num(il, 'Low');
    c[k] = num(ic, 'Close');
    if (iv >= 0 && (f[iv] ?? '').trim() !== '') v[k] = num(iv, 'Volume');
  }
  return { length: n, t, o, h, l, c, v, symbol };
}
