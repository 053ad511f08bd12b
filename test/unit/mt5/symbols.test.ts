import { canonicalSymbol, parseSymbolMap } from '../../../mt5-gateway/symbols';

const eurusd = { currency_base: 'EUR', currency_profit: 'USD' };

describe('canonicalSymbol', () => {
  it.each(['EURUSD', 'EURUSD.m', 'EURUSDpro', 'EURUSD.r', 'EURUSD_i', 'EURUSD#', 'EURUSD!', 'mEURUSD', 'EURUSD-ecn', 'EUR/USD', 'EURUSDm', 'mEURUSD.pro'])('%s → EURUSD without a spec', (name) => {
    expect(canonicalSymbol(name)).toBe('EURUSD');
  });

  it.each(['EURUSD.m', 'EURUSDpro', 'mEURUSD', 'EURUSD.cash', 'xEURUSDx'])('%s → EURUSD from the spec currencies', (name) => {
    expect(canonicalSymbol(name, eurusd)).toBe('EURUSD');
  });

  it('keeps instruments that are not pairs', () => {
    expect(canonicalSymbol('US30.cash', { currency_base: 'USD', currency_profit: 'USD' })).toBe('US30');
    expect(canonicalSymbol('GER40')).toBe('GER40');
    expect(canonicalSymbol('XAUUSD.m', { currency_base: 'XAU', currency_profit: 'USD' })).toBe('XAUUSD');
    expect(canonicalSymbol('BTCUSD')).toBe('BTCUSD');
    expect(canonicalSymbol('usdjpy')).toBe('USDJPY');
  });

  it('lets an explicit map win, per server first', () => {
    const map = parseSymbolMap('GOLD=XAUUSD, Broker-Live/GOLD.x=XAUUSD, US30.cash=DJI');
    expect(canonicalSymbol('GOLD', undefined, 'Any', map)).toBe('XAUUSD');
    expect(canonicalSymbol('GOLD.x', undefined, 'Broker-Live', map)).toBe('XAUUSD');
    expect(canonicalSymbol('GOLD.x', undefined, 'Other', map)).toBe('GOLD');
    expect(canonicalSymbol('US30.cash', undefined, 'Any', map)).toBe('DJI');
  });

  it('refuses a malformed map', () => {
    expect(() => parseSymbolMap('GOLD')).toThrow(/broker=CANONICAL/);
    expect(parseSymbolMap('')).toEqual({});
  });
});
