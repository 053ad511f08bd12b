/**
 * The assets of a symbol: 6-letter FX or metal pairs split into base and quote
 * (EURUSD → EUR, USD; XAUUSD → XAU, USD); anything else is its own asset.
 */
export function symbolAssets(symbol: string): { base: string; quote: string | null } {
  const s = symbol.toUpperCase().replace(/[^A-Z]/g, '');
  if (s.length === 6) return { base: s.slice(0, 3), quote: s.slice(3) };
  return { base: s, quote: null };
}
