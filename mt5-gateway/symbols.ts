/**
 * Broker symbol names → Plan2 canonical names (PROTOCOL.md §7).
 *
 * Brokers decorate the same instrument differently (`EURUSD.m`, `EURUSDpro`,
 * `mEURUSD`, `XAUUSD.cash`); Plan2 stores and trades one canonical name. Pure
 * functions, no I/O.
 */

export interface SpecCurrencies {
  currency_base?: string;
  currency_profit?: string;
}

/**
 * Parse `MT5_SYMBOL_MAP` ("GOLD=XAUUSD, MetaQuotes-Demo/US30.cash=US30"): keys are a broker
 * name or `server/broker name`, values the canonical name. Throws on a malformed entry.
 */
export function parseSymbolMap(text: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    const key = eq > 0 ? p.slice(0, eq).trim() : '';
    const val = eq > 0 ? p.slice(eq + 1).trim() : '';
    if (!key || !/^[A-Za-z0-9._#!+~$/-]{1,64}$/.test(val)) throw new Error(`bad symbol map entry ${JSON.stringify(p)}: expected broker=CANONICAL`);
    out[key] = val.toUpperCase();
  }
  return out;
}

const CCY = /^[A-Z]{3}$/;
const SEPARATED = /^([A-Za-z0-9]{3,}?)[._#!+~$-][A-Za-z0-9._#!+~$-]*$/;
const TRAILING_LOWER = /^([A-Z0-9]{3,})[a-z]{1,5}$/;
const LEADING_LOWER = /^[a-z]([A-Z0-9]{3,}.*)$/;
const SLASHED_PAIR = /^([A-Z]{3})\/([A-Z]{3})(.*)$/;

/** Strip one layer of known decoration, or return the name unchanged. */
function strip(name: string): string {
  const sl = SLASHED_PAIR.exec(name);
  if (sl) return sl[1] + sl[2] + sl[3];
  const lead = LEADING_LOWER.exec(name);
  if (lead) return lead[1];
  const sep = SEPARATED.exec(name);
  if (sep) return sep[1];
  const trail = TRAILING_LOWER.exec(name);
  if (trail) return trail[1];
  // A bare separator at the end: EURUSD#, EURUSD!
  const bare = /^(.{3,}?)[._#!+~$-]+$/.exec(name);
  return bare ? bare[1] : name;
}

/**
 * The canonical name of a broker symbol.
 *
 * Order: explicit map (`server/name`, then `name`) → FX/metal pair from the
 * spec's base and profit currencies when the name contains them → one layer of
 * prefix/suffix decoration stripped (applied until stable) → the name upper-cased.
 */
export function canonicalSymbol(name: string, spec?: SpecCurrencies, server?: string, map: Record<string, string> = {}): string {
  const explicit = (server !== undefined ? map[`${server}/${name}`] : undefined) ?? map[name];
  if (explicit) return explicit;
  const base = spec?.currency_base?.toUpperCase();
  const profit = spec?.currency_profit?.toUpperCase();
  if (base && profit && base !== profit && CCY.test(base) && CCY.test(profit)) {
    const pair = base + profit;
    if (name.toUpperCase().includes(pair)) return pair;
  }
  let cur = name;
  for (let i = 0; i < 3; i++) {
    const next = strip(cur);
    if (next === cur) break;
    cur = next;
  }
  return cur.toUpperCase();
}
