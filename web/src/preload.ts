/**
 * Inlined in index.html before the app bundle: when a key is stored and the
 * Market page is the target, the first market data is requested while the
 * browser is still parsing the bundle (window.__plan2Preload). The candles of
 * the symbol and timeframe last shown are asked for at once, in parallel with the
 * symbol list; on a first visit they follow the list.
 */
import { Api } from './api';
import { loadPrefs, type Preload } from './context';
import type { CandleItem, Page, SymbolItem } from './types';

declare global {
  interface Window {
    __plan2Preload?: { key: string; preload: Preload };
  }
}

const key = localStorage.getItem('plan2.key');
const hash = location.hash;
if (key && !/key=/.test(hash) && (hash === '' || hash === '#' || hash.startsWith('#/market'))) {
  const api = new Api(key);
  const prefs = loadPrefs();
  const symbols = api.get<Page<SymbolItem>>('/symbols');
  const pick = (s: Page<SymbolItem>) => (s.items.some((x) => x.symbol === prefs.symbol) ? prefs.symbol : (s.items[0]?.symbol ?? null));
  const fetchCandles = (symbol: string) => api.get<Page<CandleItem>>('/candles', { symbol, tf: prefs.tf, limit: 500 }).then((r) => ({ symbol, tf: prefs.tf, items: r.items }));
  const early = prefs.symbol ? fetchCandles(prefs.symbol) : null;
  const candles = symbols.then(async (s) => {
    const symbol = pick(s);
    if (!symbol) return null;
    if (early && symbol === prefs.symbol) return early;
    return fetchCandles(symbol);
  });
  early?.catch(() => undefined);
  symbols.catch(() => undefined);
  candles.catch(() => undefined);
  window.__plan2Preload = { key, preload: { symbols, candles } };
}
