import { parseTopic, topicOf } from '../../../services/stream/topics';

describe('stream topics', () => {
  it.each([
    ['ticks:EURUSD', 'ticks', false],
    ['ticks:US500.cash', 'ticks', false],
    ['candles:EURUSD:M1', 'candles', false],
    ['candles:EURUSD:D1', 'candles', false],
    ['decisions:EURUSD', 'decisions', true],
    ['orders', 'orders', true],
    ['positions', 'positions', true],
    ['flowchain:AI_Decision', 'flowchain', true],
    ['backtests:bt_01-x', 'backtests', true],
  ])('accepts %s', (name, kind, tenantOwned) => {
    expect(parseTopic(name)).toEqual({ kind, name, tenantOwned });
  });

  it.each([
    ['', /1 to 120/],
    [42, /1 to 120/],
    ['x'.repeat(121), /1 to 120/],
    ['ticks', /ticks:<symbol>/],
    ['ticks:EUR USD', /canonical symbol/],
    ['ticks:EURUSD:M1', /ticks:<symbol>/],
    ['candles:EURUSD', /candles:<symbol>:<tf>/],
    ['candles:EURUSD:M2', /tf one of M1 M5 M15 H1 D1/],
    ['orders:x', /no qualifier/],
    ['flowchain:1abc', /chain name/],
    ['backtests:a/b', /backtests:<id>/],
    ['weather:today', /unknown topic kind "weather"/],
  ])('rejects %p', (raw, msg) => {
    const r = parseTopic(raw);
    expect('error' in r && r.error).toMatch(msg);
  });

  it('builds the names events publish under, which parse back to themselves', () => {
    for (const n of [topicOf.ticks('EURUSD'), topicOf.candles('EURUSD', 'H1'), topicOf.decisions('GBPUSD'), topicOf.orders(), topicOf.positions(), topicOf.flowchain('MT5_To_Database'), topicOf.backtests('b1')]) {
      expect(parseTopic(n)).toMatchObject({ name: n });
    }
  });
});
