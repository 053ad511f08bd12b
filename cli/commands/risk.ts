/**
 * `plan2 risk --csv <file> [--column close] [--returns log|simple] [--json]`:
 * risk statistics of one price column (conventions in lib/risk/summary.ts).
 */
import * as fs from 'node:fs';
import { OhlcvField, parseOhlcvCsv } from '../../lib/data/ohlcv-csv';
import { DomainError } from '../../lib/errors';
import { seriesRiskSummary, SeriesRiskSummary } from '../../lib/risk';
import { CliCommand, flagString, parseArgs, UsageError } from '../command';

const OHLCV_ALIASES: Record<string, OhlcvField> = { open: 'open', high: 'high', low: 'low', close: 'close', last: 'close', volume: 'volume' };

/**
 * The prices of `column`: OHLCV columns of files with a time column go through the shared
 * OHLCV reader (lib/data/ohlcv-csv.ts: time order, duplicates and every cell validated);
 * any other column (`adj close`, `price` …), or a file without a time column, through
 * `readCsvColumn`. Errors become usage errors (exit 2).
 */
export function readPrices(text: string, column: string, source: string): number[] {
  const field = OHLCV_ALIASES[column.trim().toLowerCase()];
  if (field) {
    try {
      return Array.from(parseOhlcvCsv(text, { require: [field], source })[field]);
    } catch (e) {
      if (!(e instanceof DomainError) || !/no time column/.test(e.message)) throw new UsageError((e as Error).message);
    }
  }
  return readCsvColumn(text, column);
}

/**
 * Read one numeric column of a CSV with a header row (matched case-insensitively,
 * surrounding spaces ignored; the first column may be unnamed, as pandas writes an index).
 * Blank lines are skipped; any other unreadable cell is an error naming its line.
 */
export function readCsvColumn(text: string, column: string): number[] {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h >= lines.length) throw new UsageError('the CSV file is empty');
  const header = lines[h].split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  const col = header.indexOf(column.trim().toLowerCase());
  if (col < 0) throw new UsageError(`no column "${column}" in the CSV header; columns: ${header.filter(Boolean).join(', ')}`);
  const out: number[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const cell = (cells[col] ?? '').trim().replace(/^"|"$/g, '');
    const v = cell === '' ? NaN : Number(cell);
    if (!Number.isFinite(v)) throw new UsageError(`line ${i + 1}: column "${column}" is ${cell === '' ? 'empty' : JSON.stringify(cell)}, not a number`);
    out.push(v);
  }
  return out;
}

function fmt(x: number, digits = 6): string {
  return Number.isFinite(x) ? x.toPrecision(digits) : String(x);
}

function table(s: SeriesRiskSummary, file: string, column: string): string {
  const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(4) + ' %' : String(x));
  return [
    `${file} — column ${column}, ${s.n} ${s.returns} returns`,
    `  mean          ${fmt(s.mean)}`,
    `  std (ddof 1)  ${fmt(s.std)}`,
    `  Sharpe (√252) ${fmt(s.sharpe, 4)}`,
    `  VaR 95 / 99   ${pct(s.var95)} / ${pct(s.var99)}`,
    `  ES  95 / 99   ${pct(s.es95)} / ${pct(s.es99)}`,
    `  max drawdown  ${pct(s.maxDrawdown)} (peak at row ${s.peakIndex}, trough at row ${s.troughIndex})`,
  ].join('\n');
}

const RiskCommand: CliCommand = {
  name: 'risk',
  summary: 'Risk statistics of a price series from a CSV: returns, Sharpe, VaR/ES, max drawdown',
  usage: `Usage: plan2 risk --csv <file> [--column close] [--returns log|simple] [--json]

Reads one column of prices (default "close", header matched case-insensitively; OHLCV files
with a time column are read and validated by the shared OHLCV reader) and prints:
  n            number of returns (prices − 1)
  returns      log (default) or simple returns of consecutive prices
  mean, std    arithmetic mean; standard deviation with ddof 1
  sharpe       mean / std · √252, risk-free 0
  var95, var99 −quantile(returns, 0.05 / 0.01), numpy's linear interpolation (positive = loss)
  es95, es99   −mean of the returns ≤ that quantile
  maxDrawdown  largest (peak − trough) / peak of the prices, with peakIndex and troughIndex (0-based price rows)

--json prints one JSON object with exactly those keys. Bad input exits with code 2.`,
  async run(argv) {
    const args = parseArgs(argv, ['json']);
    const file = flagString(args, 'csv') ?? args.positional[0];
    if (!file) throw new UsageError('--csv <file> is required');
    const column = flagString(args, 'column') ?? 'close';
    const kind = flagString(args, 'returns') ?? 'log';
    if (kind !== 'log' && kind !== 'simple') throw new UsageError(`--returns must be log or simple, got ${JSON.stringify(kind)}`);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const prices = readPrices(text, column, file);
    let s: SeriesRiskSummary;
    try {
      s = seriesRiskSummary(prices, kind);
    } catch (e) {
      if (e instanceof DomainError) throw new UsageError(`${file}: ${e.message}`);
      throw e;
    }
    process.stdout.write((args.flags.json ? JSON.stringify(s) : table(s, file, column)) + '\n');
    return 0;
  },
};

export default RiskCommand;
