/**
 * OHLCV CSV reader shared by the indicators CLI and the backtester.
 *
 * Accepts a header line and one bar per line; comma, tab or semicolon
 * separated (detected from the header). Header names are matched
 * case-insensitively, ignoring quotes, `<…>` (MT5 exports), spaces and
 * underscores. The time column is the first column with an empty name (the
 * pandas index, as in backtesting.py's `,Open,High,Low,Close,Volume`) or one
 * named time/timestamp/date/datetime/…; MT5-style separate `<DATE>` and
 * `<TIME>` columns are joined. Timestamps: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`,
 * `YYYY-MM-DD HH:MM:SS(.fff)` (also with `T`, `/` or `.` separators) read as
 * UTC unless they carry `Z` or `±HH:MM`; `YYYYMMDD`; or epoch seconds/ms.
 *
 * Everything is validated: empty input, missing columns, short/long rows,
 * non-numeric, NaN or infinite cells, unsorted or duplicate timestamps each
 * throw a DomainError (code BAD_CSV, status 422) naming the line and column.
 */
import { DomainError } from '../errors';

export type OhlcvField = 'open' | 'high' | 'low' | 'close' | 'volume';
export const OHLCV_FIELDS: readonly OhlcvField[] = ['open', 'high', 'low', 'close', 'volume'];

export interface OhlcvData {
  /** Bar times, ms since epoch UTC, strictly increasing. */
  timestamps: number[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Header name each field was read from; null when absent (the field is then NaN-filled). */
  columns: Record<OhlcvField | 'time', string | null>;
  /** Fields absent from the file (only possible for fields not in `require`). */
  missing: OhlcvField[];
}

export interface ParseOhlcvOptions {
  /** Fields that must be present; default all five. Absent others are NaN-filled and listed in `missing`. */
  require?: readonly OhlcvField[];
  /** Name used in error messages (e.g. the file path). */
  source?: string;
}

function csvError(source: string | undefined, message: string, data?: Record<string, unknown>): DomainError {
  return new DomainError('BAD_CSV', source ? `${source}: ${message}` : message, 422, data);
}

function norm(h: string): string {
  return h
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .replace(/^<(.*)>$/, '$1')
    .toLowerCase()
    .replace(/[\s_]+/g, '');
}

const TIME_NAMES = ['time', 'timestamp', 'datetime', 'date', 'opentime', 'ts', 'gmttime', 'localtime', 'index', 'unnamed:0'];
const FIELD_NAMES: Record<OhlcvField, string[]> = {
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c', 'last'],
  volume: ['volume', 'tickvolume', 'tickvol', 'vol', 'v'],
};

const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_RE = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses one timestamp to ms since epoch UTC, or returns null when the text is
 * not a recognised date/time. Dates without an offset are UTC.
 */
export function parseTimestamp(text: string): number | null {
  const s = text.trim().replace(/^"(.*)"$/, '$1');
  let m = DATE_RE.exec(s);
  if (!m && /^\d{8}$/.test(s)) m = DATE_RE.exec(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`);
  if (m) {
    const [y, mo, d, hh, mi, ss] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 59) return null;
    let t = Date.UTC(y, mo - 1, d, hh, mi, ss, ms);
    const check = new Date(t);
    if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null; // e.g. 2021-02-30
    const off = m[8];
    if (off && off.toUpperCase() !== 'Z') {
      const sign = off[0] === '-' ? -1 : 1;
      const digits = off.slice(1).replace(':', '');
      t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
    }
    return t;
  }
  if (/^\d{9,13}(\.\d+)?$/.test(s)) {
    const v = Number(s);
    return v >= 1e11 ? Math.round(v) : Math.round(v * 1000);
  }
  return null;
}

function fmtTime(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').replace('.000Z', '').replace('Z', '');
}

/** Parses OHLCV CSV text into columns (see the module doc for formats and errors). */
export function parseOhlcvCsv(text: string, options: ParseOhlcvOptions = {}): OhlcvData {
  const src = options.source;
  const required = options.require ?? OHLCV_FIELDS;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r\n|\n|\r/);
  let headerIdx = 0;
  while (headerIdx < lines.length && lines[headerIdx].trim() === '') headerIdx++;
  if (headerIdx >= lines.length) throw csvError(src, 'the file is empty (no header line)');
  const headerLine = lines[headerIdx];
  const counts = { ',': headerLine.split(',').length, '\t': headerLine.split('\t').length, ';': headerLine.split(';').length };
  const sep = (Object.entries(counts) as [string, number][]).sort((a, b) => b[1] - a[1])[0][0];
  const rawHeader = headerLine.split(sep).map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  const header = rawHeader.map(norm);

  const find = (names: string[]): number => {
    for (const n of names) {
      const i = header.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const fieldIdx = {} as Record<OhlcvField, number>;
  for (const f of OHLCV_FIELDS) fieldIdx[f] = find(FIELD_NAMES[f]);

  // Time column(s): an unnamed first column (pandas index) or a named one; MT5's <DATE> + <TIME> are joined.
  let timeIdx = header[0] === '' ? 0 : -1;
  let clockIdx = -1;
  if (timeIdx < 0) {
    const dateIdx = header.indexOf('date');
    const tIdx = header.indexOf('time');
    if (dateIdx >= 0 && tIdx >= 0) {
      timeIdx = dateIdx;
      clockIdx = tIdx;
    } else timeIdx = find(TIME_NAMES);
  }
  if (timeIdx < 0) throw csvError(src, `no time column found in header "${headerLine.trim()}" (expected an unnamed first column or one named time, timestamp, date or datetime)`, { header: rawHeader });
  const missing: OhlcvField[] = [];
  for (const f of OHLCV_FIELDS) {
    if (fieldIdx[f] >= 0) continue;
    if (required.includes(f)) throw csvError(src, `missing column "${f}" in header "${headerLine.trim()}"`, { column: f, header: rawHeader });
    missing.push(f);
  }

  const rows: string[][] = [];
  const lineNo: number[] = [];
  for (let i = headerIdx + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    rows.push(lines[i].split(sep));
    lineNo.push(i + 1);
  }
  if (rows.length === 0) throw csvError(src, 'the file has a header but no data rows');

  const n = rows.length;
  const timestamps: number[] = new Array<number>(n);
  const cols = {} as Record<OhlcvField, Float64Array>;
  for (const f of OHLCV_FIELDS) cols[f] = new Float64Array(n).fill(NaN);
  const width = header.length;
  for (let r = 0; r < n; r++) {
    const cells = rows[r];
    const line = lineNo[r];
    if (cells.length !== width) throw csvError(src, `line ${line}: expected ${width} cells like the header, got ${cells.length}`, { line });
    const tText = clockIdx >= 0 ? `${cells[timeIdx].trim()} ${cells[clockIdx].trim()}` : cells[timeIdx];
    const t = parseTimestamp(tText);
    if (t === null) throw csvError(src, `line ${line}, column "${rawHeader[timeIdx] || '(time)'}": cannot read "${tText.trim()}" as a timestamp (YYYY-MM-DD[ HH:MM[:SS]] UTC)`, { line, column: rawHeader[timeIdx] });
    if (r > 0) {
      const prev = timestamps[r - 1];
      if (t === prev) throw csvError(src, `line ${line}: duplicate timestamp ${fmtTime(t)} (also on line ${lineNo[r - 1]})`, { line });
      if (t < prev) throw csvError(src, `line ${line}: timestamp ${fmtTime(t)} is earlier than ${fmtTime(prev)} on line ${lineNo[r - 1]}; rows must be sorted by time`, { line });
    }
    timestamps[r] = t;
    for (const f of OHLCV_FIELDS) {
      const c = fieldIdx[f];
      if (c < 0) continue;
      const cell = cells[c].trim().replace(/^"(.*)"$/, '$1');
      const name = rawHeader[c];
      if (cell === '') throw csvError(src, `line ${line}, column "${name}": empty cell`, { line, column: name });
      if (!NUM_RE.test(cell)) {
        const what = /^[+-]?(nan|inf|infinity)$/i.test(cell) ? 'is not a finite number' : 'is not a number';
        throw csvError(src, `line ${line}, column "${name}": "${cell}" ${what}`, { line, column: name });
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) throw csvError(src, `line ${line}, column "${name}": "${cell}" is not a finite number`, { line, column: name });
      cols[f][r] = v;
    }
  }
  const columns = { time: rawHeader[timeIdx] } as Record<OhlcvField | 'time', string | null>;
  for (const f of OHLCV_FIELDS) columns[f] = fieldIdx[f] >= 0 ? rawHeader[fieldIdx[f]] : null;
  return { timestamps, open: cols.open, high: cols.high, low: cols.low, close: cols.close, volume: cols.volume, columns, missing };
}
