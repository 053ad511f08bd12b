/**
 * Reader of Lean tick quote files (`ms_since_midnight,bid,ask`, one line per
 * quote, CRLF or LF, no header; the date comes from the file name
 * `YYYYMMDD_<symbol>_tick_quote.csv` and the times are UTC).
 */
import type { Tick } from '../../types/market';

/** UTC midnight (ms) of the `YYYYMMDD` date a Lean file name starts with; throws when absent. */
export function leanFileDate(fileName: string): number {
  const m = /(?:^|[/\\])(\d{4})(\d{2})(\d{2})_[^/\\]*$/.exec(fileName);
  if (!m) throw new Error(`no YYYYMMDD date at the start of the file name: ${fileName}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/**
 * Parse a Lean tick quote file's text into ticks of `symbol` on the day starting
 * at `dayStartMs` (UTC midnight). Fractional milliseconds are floored.
 * Lines that do not hold three numbers throw with their line number.
 */
export function parseLeanTicks(text: string, symbol: string, dayStartMs: number): Tick[] {
  const out: Tick[] = [];
  let pos = 0;
  let line = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    line++;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop > pos) {
      const c1 = text.indexOf(',', pos);
      const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
      if (c1 < 0 || c2 < 0 || c2 >= stop) throw new Error(`line ${line}: expected ms,bid,ask`);
      const ms = Number(text.slice(pos, c1));
      const bid = Number(text.slice(c1 + 1, c2));
      const ask = Number(text.slice(c2 + 1, stop));
      if (!Number.isFinite(ms) || !Number.isFinite(bid) || !Number.isFinite(ask)) throw new Error(`line ${line}: not numbers`);
      out.push({ symbol, time_msc: dayStartMs + Math.floor(ms), bid, ask });
    }
    pos = end + 1;
  }
  return out;
}
