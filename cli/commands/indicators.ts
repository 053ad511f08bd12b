/** `plan2 indicators`: compute technical indicators over an OHLCV CSV file. */
import * as fs from 'node:fs';
import { DomainError } from '../../lib/errors';
import { OHLCV_FIELDS, parseOhlcvCsv, type OhlcvData, type OhlcvField } from '../../lib/data/ohlcv-csv';
import { createIndicators, INDICATOR_NAMES, INDICATORS } from '../../lib/indicators/spec';
import type { AnyIndicator } from '../../lib/indicators/types';
import { CliCommand, flagString, parseArgs, UsageError } from '../command';

export const DEFAULT_SET = 'rsi:14,macd:12:26:9,sma:20,ema:20,bbands:20:2';
const FLAGS = ['csv', 'set', 'column', 'json', 'rows', 'help'];

const usage = `Usage: plan2 indicators --csv <file> [--set <specs>] [--column close] [--json] [--rows 10]

Computes indicators over an OHLCV CSV (header line; time column unnamed as in
pandas exports or named time/date/datetime; Open/High/Low/Close/Volume matched
case-insensitively; timestamps YYYY-MM-DD[ HH:MM:SS] read as UTC).

  --csv <file>     the CSV file
  --set <specs>    comma-separated indicator specs (default ${DEFAULT_SET})
                   e.g. sma:20 ema:20 rsi:14 macd:12:26:9 bbands:20:2 atr:14
  --column <name>  input column of single-series indicators: open|high|low|close|volume (default close)
  --json           print one JSON object {n, timestamps, indicators:{ID:{output:[…]}}}, null for warm-up
  --rows <n>       rows shown in the table (default 10; ignored with --json)

Indicators: ${INDICATOR_NAMES.map((n) => `${n}${INDICATORS[n].params.length ? ':' + INDICATORS[n].params.map((p) => (Number.isNaN(p.dflt) ? `[${p.name}]` : p.dflt)).join(':') : ''}`).join(' ')}
`;

type Series = Record<string, (number | null)[]>;

function computeAll(data: OhlcvData, indicators: AnyIndicator[], column: OhlcvField): Record<string, Series> {
  const out: Record<string, Series> = {};
  for (const ind of indicators) {
    out[ind.id] = ind.input === 'scalar' ? ind.compute(data[column]) : ind.compute({ timestamps: data.timestamps, open: data.open, high: data.high, low: data.low, close: data.close, volume: data.volume });
  }
  return out;
}

function fmtNum(v: number | null): string {
  if (v === null) return '';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e15) return String(v);
  if (a >= 1e5) return v.toFixed(0);
  if (a >= 100) return v.toFixed(2);
  if (a >= 1) return v.toFixed(4);
  return v.toPrecision(5);
}

function fmtTime(t: number): string {
  const s = new Date(t).toISOString();
  return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : s.slice(0, 19).replace('T', ' ');
}

function table(data: OhlcvData, results: Record<string, Series>, column: OhlcvField, rows: number): string {
  const n = data.timestamps.length;
  const from = Math.max(0, n - rows);
  const headers = ['time', column];
  const cols: ((i: number) => string)[] = [(i) => fmtTime(data.timestamps[i]), (i) => fmtNum(data[column][i])];
  for (const [id, series] of Object.entries(results)) {
    const keys = Object.keys(series);
    for (const k of keys) {
      headers.push(keys.length === 1 && k === 'values' ? id : `${id}.${k}`);
      cols.push((i) => fmtNum(series[k][i]));
    }
  }
  const cells = [headers, ...Array.from({ length: n - from }, (_, j) => cols.map((f) => f(from + j)))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells.map((r) => r.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ')).join('\n');
}

const command: CliCommand = {
  name: 'indicators',
  summary: 'compute technical indicators (RSI, MACD, Bollinger, …) over an OHLCV CSV',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, ['json']);
    for (const f of Object.keys(args.flags)) if (!FLAGS.includes(f)) throw new UsageError(`unknown option --${f}`);
    if (args.positional.length) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
    const file = flagString(args, 'csv');
    if (!file) throw new UsageError('--csv <file> is required');
    const columnText = (flagString(args, 'column') ?? 'close').toLowerCase();
    if (!(OHLCV_FIELDS as readonly string[]).includes(columnText)) throw new UsageError(`--column must be one of ${OHLCV_FIELDS.join(', ')}, got "${columnText}"`);
    const column = columnText as OhlcvField;
    const rowsText = flagString(args, 'rows') ?? '10';
    if (!/^\d+$/.test(rowsText) || Number(rowsText) < 1) throw new UsageError(`--rows must be a positive integer, got "${rowsText}"`);
    const json = args.flags.json === true;

    try {
      const indicators = createIndicators(flagString(args, 'set') ?? DEFAULT_SET);
      const required = new Set<OhlcvField>();
      for (const ind of indicators) {
        if (ind.input === 'scalar') required.add(column);
        else for (const c of ind.needs) if (c !== 'timestamps') required.add(c);
      }
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read --csv ${file}: ${(e as Error).message}`);
      }
      const data = parseOhlcvCsv(text, { require: [...required], source: file });
      const n = data.timestamps.length;
      for (const ind of indicators) {
        if (ind.lookback >= n) throw new UsageError(`${ind.id} needs at least ${ind.lookback + 1} rows (lookback ${ind.lookback}); ${file} has ${n}`);
      }
      const results = computeAll(data, indicators, column);
      if (json) {
        const indicatorsOut: Record<string, Series> = {};
        for (const [id, s] of Object.entries(results)) indicatorsOut[id] = s;
        process.stdout.write(JSON.stringify({ n, timestamps: data.timestamps, indicators: indicatorsOut }) + '\n');
      } else {
        process.stdout.write(`${file}: ${n} rows, ${fmtTime(data.timestamps[0])} → ${fmtTime(data.timestamps[n - 1])}\n\n`);
        process.stdout.write(table(data, results, column, Number(rowsText)) + '\n');
      }
      return 0;
    } catch (e) {
      if (e instanceof DomainError) throw new UsageError(e.message);
      throw e;
    }
  },
};

export default command;
