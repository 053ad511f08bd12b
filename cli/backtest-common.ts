/** Argument handling shared by `plan2 backtest` and `plan2 optimize`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { DomainError } from '../lib/errors';
import { parseBarsCsv } from '../lib/backtest/csv-bars';
import type { BacktestOptions, BarSeries } from '../lib/backtest/types';
import { ParsedArgs, UsageError, flagNumber, flagString } from './command';

export const BROKER_BOOLEANS = ['exclusive-orders', 'finalize-trades', 'trade-on-close', 'hedging'];

/** Rethrow a lib DomainError as a UsageError (exit 2); anything else unchanged. */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DomainError) throw new UsageError(e.message);
    throw e;
  }
}

export function rejectUnknownFlags(p: ParsedArgs, known: string[]): void {
  for (const k of Object.keys(p.flags)) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
  if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
}

/** `data/EURUSD.csv` → `EURUSD`; undefined when the name is not a plausible symbol (`20140508_eurusd_tick_quote.csv`). */
export function symbolFromFileName(file: string): string | undefined {
  const base = path.basename(file).replace(/\.[^.]*$/, '');
  return /^[A-Za-z][A-Za-z0-9.#-]{0,31}$/.test(base) ? base.toUpperCase() : undefined;
}

export function loadBars(p: ParsedArgs): BarSeries {
  const file = flagString(p, 'csv');
  if (!file) throw new UsageError('--csv <file> is required');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const bars = asUsage(() => parseBarsCsv(text, { source: file, symbol: flagString(p, 'symbol') ?? symbolFromFileName(file) }));
  if (bars.length < 2) throw new UsageError(`${file}: need at least 2 bars, got ${bars.length}`);
  return bars;
}

/** Broker settings from flags, validated (cash > 0, commission in [0, 0.1), spread ≥ 0, margin in (0, 1]). */
export function brokerOptions(p: ParsedArgs): BacktestOptions {
  const cash = flagNumber(p, 'cash', 10_000);
  if (!(cash > 0)) throw new UsageError(`--cash must be > 0, got ${cash}`);
  const commission = flagNumber(p, 'commission', 0);
  if (!(commission >= 0 && commission < 0.1)) throw new UsageError(`--commission must be in [0, 0.1), got ${commission}`);
  const spread = flagNumber(p, 'spread', 0);
  if (!(spread >= 0 && spread < 0.1)) throw new UsageError(`--spread must be in [0, 0.1), got ${spread}`);
  const margin = flagNumber(p, 'margin', 1);
  if (!(margin > 0 && margin <= 1)) throw new UsageError(`--margin must be in (0, 1], got ${margin}`);
  return {
    cash,
    commission,
    spread,
    margin,
    exclusiveOrders: p.flags['exclusive-orders'] === true,
    finalizeTrades: p.flags['finalize-trades'] === true,
    tradeOnClose: p.flags['trade-on-close'] === true,
    hedging: p.flags['hedging'] === true,
  };
}

/**
 * A progress bar on stderr when it is a terminal and the job is not tiny, or
 * when the job is long (then also on a pipe, throttled). Returns null when off.
 */
export function progressBar(total: number, unit: string, smallTty: number, long: number): { update(done: number): void; setTotal(total: number): void; stop(): void } | null {
  const tty = process.stderr.isTTY === true;
  if (!(tty ? total >= smallTty : total >= long)) return null;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `{bar} {percentage}% | {value}/{total} ${unit} | eta {eta_formatted}`,
    noTTYOutput: !tty,
    notTTYSchedule: 2000,
    hideCursor: tty,
    clearOnComplete: tty,
    etaBuffer: 50,
  });
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    setTotal: (n) => bar.setTotal(n),
    stop: () => bar.stop(),
  };
}
