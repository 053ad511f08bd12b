#!/usr/bin/env node
/**
 * Builds data/risk/fx-daily.json (bundled daily closes for risk reports and historical
 * stress windows) from the OANDA daily quote bars in ../shared/data/lean/forex/oanda/daily
 * (QuantConnect/Lean, Apache-2.0). Keeps the bid close of Monday–Saturday bars (Sunday
 * bars hold the short Sunday-evening session and are dropped). Run: node scripts/build-risk-history.js
 */
const fs = require('node:fs');
const path = require('node:path');

const src = path.resolve(__dirname, '..', '..', 'shared', 'data', 'lean', 'forex', 'oanda', 'daily');
const pairs = ['eurusd', 'gbpusd', 'eurgbp', 'nzdusd'];
const byPair = {};
for (const p of pairs) {
  const rows = fs.readFileSync(path.join(src, `${p}.csv`), 'utf8').trim().split(/\r?\n/);
  const m = new Map();
  for (const r of rows) {
    const c = r.split(',');
    const d = `${c[0].slice(0, 4)}-${c[0].slice(4, 6)}-${c[0].slice(6, 8)}`;
    if (new Date(d + 'T00:00:00Z').getUTCDay() === 0) continue;
    m.set(d, Number(c[4]));
  }
  byPair[p.toUpperCase()] = m;
}
const dates = [...byPair.EURUSD.keys()].filter((d) => pairs.every((p) => byPair[p.toUpperCase()].has(d))).sort();
const out = {
  source: 'QuantConnect/Lean Data/forex/oanda/daily (Apache-2.0): bid close of each UTC day, Sunday bars dropped',
  dates,
  closes: Object.fromEntries(pairs.map((p) => [p.toUpperCase(), dates.map((d) => byPair[p.toUpperCase()].get(d))])),
};
fs.writeFileSync(path.join(__dirname, '..', 'data', 'risk', 'fx-daily.json'), JSON.stringify(out) + '\n');
process.stdout.write(`${dates.length} dates ${dates[0]} → ${dates[dates.length - 1]}\n`);
