import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectFormat, parseTime, readTickFile, symbolFromFileName } from '../../../mt5-gateway/replay';
import { SHARED_DATA_DIR } from '../../../paths';

const LEAN_EURUSD = path.join(SHARED_DATA_DIR, 'lean/forex/oanda/tick/eurusd/20140508_eurusd_tick_quote.csv');
const LEAN_XAUUSD = path.join(SHARED_DATA_DIR, 'lean/cfd/oanda/tick/xauusd/20140511_xauusd_tick_quote.csv');
const HISTDATA = path.join(SHARED_DATA_DIR, 'nautilus_trader/quote_tick_data.csv');
const TRUEFX = path.join(SHARED_DATA_DIR, 'nautilus_trader/truefx-usdjpy-ticks.csv');

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

describe('tick file readers on the real files', () => {
  it('reads the Lean EURUSD day (CRLF, no trailing newline, date from the file name, UTC)', () => {
    const s = readTickFile(LEAN_EURUSD);
    expect(s.format).toBe('lean');
    expect(s.symbol).toBe('EURUSD');
    expect(s.length).toBe(87_833);
    expect(iso(s.time[0])).toBe('2014-05-08T00:00:08.715Z');
    expect([s.bid[0], s.ask[0]]).toEqual([1.39101, 1.39114]);
    expect(iso(s.time[s.length - 1])).toBe('2014-05-08T23:59:49.008Z');
    let repeats = 0;
    let backwards = 0;
    let crossed = 0;
    let maxBid = -Infinity;
    let minBid = Infinity;
    for (let i = 0; i < s.length; i++) {
      if (i > 0 && s.time[i] === s.time[i - 1]) repeats++;
      if (i > 0 && s.time[i] < s.time[i - 1]) backwards++;
      if (s.bid[i] > s.ask[i]) crossed++;
      maxBid = Math.max(maxBid, s.bid[i]);
      minBid = Math.min(minBid, s.bid[i]);
    }
    // the figures the data README documents
    expect(repeats).toBe(1562);
    expect(backwards).toBe(0);
    expect(crossed).toBe(0);
    expect([minBid, maxBid]).toEqual([1.3832, 1.39928]);
    expect(s.digits).toBe(5);
  });

  it('reads Lean fractional milliseconds (XAUUSD, LF) by flooring them', () => {
    const s = readTickFile(LEAN_XAUUSD);
    expect(s.format).toBe('lean');
    expect(s.symbol).toBe('XAUUSD');
    expect(s.length).toBe(14_987);
    expect(iso(s.time[0])).toBe('2014-05-11T22:00:00.976Z');
    expect(iso(s.time[s.length - 1])).toBe('2014-05-11T23:59:38.616Z');
    let backwards = 0;
    for (let i = 1; i < s.length; i++) if (s.time[i] < s.time[i - 1]) backwards++;
    expect(backwards).toBe(0);
  });

  it('reads HistData ASCII ticks in fixed UTC−5', () => {
    const s = readTickFile(HISTDATA, { symbol: 'EURUSD' });
    expect(s.format).toBe('histdata');
    expect(s.length).toBe(9500);
    expect(s.symbol).toBe('EURUSD');
    // 17:00:00.065 EST = 22:00:00.065 UTC, the FX reopen after New Year
    expect(iso(s.time[0])).toBe('2020-01-01T22:00:00.065Z');
    expect([s.bid[0], s.ask[0]]).toEqual([1.1212, 1.12172]);
    expect(iso(s.time[s.length - 1])).toBe('2020-01-02T04:00:52.125Z');
    let notIncreasing = 0;
    for (let i = 1; i < s.length; i++) if (s.time[i] <= s.time[i - 1]) notIncreasing++;
    expect(notIncreasing).toBe(0);
    expect(readTickFile(HISTDATA).symbol).toBeNull();
  });

  it('reads generic time,bid,ask CSV with ISO times and offsets (TrueFX USDJPY)', () => {
    const s = readTickFile(TRUEFX);
    expect(s.format).toBe('csv');
    expect(s.symbol).toBe('USDJPY');
    expect(s.length).toBe(1000);
    expect(iso(s.time[0])).toBe('2013-01-01T22:00:00.295Z');
    expect(iso(s.time[s.length - 1])).toBe('2013-01-01T22:35:13.494Z');
    expect([s.bid[0], s.ask[0]]).toEqual([86.655, 86.728]);
    expect(s.digits).toBe(3);
    let repeats = 0;
    for (let i = 1; i < s.length; i++) if (s.time[i] === s.time[i - 1]) repeats++;
    expect(repeats).toBe(7);
  });
});

describe('reader details', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-replay-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it.each([
    ['2013-01-01 22:00:00.295000+00:00', '2013-01-01T22:00:00.295Z'],
    ['2013-01-01T22:00:00Z', '2013-01-01T22:00:00.000Z'],
    ['2013-01-01T22:00:00.5', '2013-01-01T22:00:00.500Z'],
    ['2013-01-02T03:30:00+05:30', '2013-01-01T22:00:00.000Z'],
    ['2013-01-01 17:00:00-0500', '2013-01-01T22:00:00.000Z'],
    ['1357077600000', '2013-01-01T22:00:00.000Z'],
  ])('parses time %s', (text, want) => {
    expect(iso(parseTime(text))).toBe(want);
  });

  it('refuses unreadable times', () => {
    expect(parseTime('yesterday')).toBeNaN();
    expect(parseTime('2013-01-01')).toBeNaN();
  });

  it('reads ms CSV without header, LF or CRLF, and reports a bad line with its number', () => {
    const f = write('gbpusd.csv', '1357077600000,1.61,1.6102\r\n1357077600100,1.611,1.6112\r\n');
    const s = readTickFile(f);
    expect([s.format, s.symbol, s.length]).toEqual(['csv', 'GBPUSD', 2]);
    const bad = write('eurusd-bad.csv', 'time,bid,ask\n2013-01-01T00:00:00Z,1.3,1.31\n2013-01-01T00:00:01Z,abc,1.31\n');
    expect(() => readTickFile(bad)).toThrow(/eurusd-bad\.csv:3: cannot read a csv tick/);
    const noCols = write('x.csv', 'when,b,a\n1,2,3\n');
    expect(() => readTickFile(noCols)).toThrow(/header needs time/);
  });

  it('detects formats and symbols from names', () => {
    expect(detectFormat('20140508_eurusd_tick_quote.csv', '8715,1.39101,1.39114')).toBe('lean');
    expect(detectFormat('anything.csv', '20200101 170000065,1.121200,1.121720,0')).toBe('histdata');
    expect(detectFormat('ticks.csv', '2013-01-01 22:00:00+00:00,1,2')).toBe('csv');
    expect(symbolFromFileName('DAT_ASCII_EURUSD_T_202001.csv')).toBe('EURUSD');
    expect(symbolFromFileName('truefx-usdjpy-ticks.csv')).toBe('USDJPY');
    expect(symbolFromFileName('quote_tick_data.csv')).toBeNull();
  });
});
