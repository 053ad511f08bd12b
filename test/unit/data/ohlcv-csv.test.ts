import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED_DATA_DIR } from '../../../paths';
import { parseOhlcvCsv, parseTimestamp } from '../../../lib/data/ohlcv-csv';

describe('parseTimestamp', () => {
  it.each([
    ['2017-04-19', Date.UTC(2017, 3, 19)],
    ['2017-04-19 09:00:00', Date.UTC(2017, 3, 19, 9)],
    ['2017-04-19 09:05', Date.UTC(2017, 3, 19, 9, 5)],
    ['2017-04-19T09:00:00.250Z', Date.UTC(2017, 3, 19, 9, 0, 0, 250)],
    ['2013-01-01 22:00:00.295000+00:00', Date.UTC(2013, 0, 1, 22, 0, 0, 295)],
    ['2024-01-02T10:00:00+02:00', Date.UTC(2024, 0, 2, 8)],
    ['2024.01.02 00:00', Date.UTC(2024, 0, 2)],
    ['20240102', Date.UTC(2024, 0, 2)],
    ['1700000000', 1700000000000],
    ['1700000000123', 1700000000123],
  ])('%s', (text, ms) => expect(parseTimestamp(text)).toBe(ms));
  it.each(['2021-02-30', '2021-13-01', 'yesterday', '', '2021-01-01 25:00'])('rejects %j', (text) => expect(parseTimestamp(text)).toBeNull());
});

describe('parseOhlcvCsv', () => {
  it('reads backtesting.py EURUSD.csv (pandas unnamed index column) as UTC', () => {
    const d = parseOhlcvCsv(fs.readFileSync(path.join(SHARED_DATA_DIR, 'backtesting.py', 'EURUSD.csv'), 'utf8'));
    expect(d.timestamps).toHaveLength(5000);
    expect(d.timestamps[0]).toBe(Date.UTC(2017, 3, 19, 9));
    expect(d.timestamps[4999]).toBe(Date.UTC(2018, 1, 7, 15));
    expect([d.open[0], d.high[0], d.low[0], d.close[0], d.volume[0]]).toEqual([1.0716, 1.0722, 1.07083, 1.07219, 1413]);
    expect(d.close[4999]).toBe(1.22904);
    expect(d.columns).toEqual({ time: '', open: 'Open', high: 'High', low: 'Low', close: 'Close', volume: 'Volume' });
    expect(d.missing).toEqual([]);
    expect(d.close).toBeInstanceOf(Float64Array);
  });

  it('reads GOOG.csv daily dates', () => {
    const d = parseOhlcvCsv(fs.readFileSync(path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv'), 'utf8'));
    expect(d.timestamps).toHaveLength(2148);
    expect(d.timestamps[0]).toBe(Date.UTC(2004, 7, 19));
  });

  it('matches headers case-insensitively and accepts named time columns, CRLF, BOM and trailing blank lines', () => {
    const d = parseOhlcvCsv('\ufeffDATE,close,HIGH,Low,OPEN,VOLUME\r\n2024-01-01,2,3,1,1.5,10\r\n2024-01-02,2.5,3,2,2,20\r\n\r\n');
    expect(Array.from(d.close)).toEqual([2, 2.5]);
    expect(Array.from(d.open)).toEqual([1.5, 2]);
    expect(d.timestamps).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)]);
  });

  it('reads MT5 exports: tab-separated, <DATE> and <TIME> columns, <TICKVOL>', () => {
    const text = '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n2024.01.02\t00:00:00\t1.1\t1.2\t1.0\t1.15\t100\t0\t5\n2024.01.02\t01:00:00\t1.15\t1.25\t1.1\t1.2\t80\t0\t5\n';
    const d = parseOhlcvCsv(text);
    expect(d.timestamps).toEqual([Date.UTC(2024, 0, 2, 0), Date.UTC(2024, 0, 2, 1)]);
    expect(Array.from(d.volume)).toEqual([100, 80]);
  });

  it('lets absent optional columns through as NaN and lists them', () => {
    const d = parseOhlcvCsv('time,close\n2024-01-01,1\n2024-01-02,2\n', { require: ['close'] });
    expect(d.missing).toEqual(['open', 'high', 'low', 'volume']);
    expect(Number.isNaN(d.high[0])).toBe(true);
    expect(d.columns.high).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['\n\n', /empty/],
    [',Open,High,Low,Close,Volume\n', /header but no data rows/],
    [',Open,High,Low,Volume\n2024-01-01,1,2,0.5,10\n', /missing column "close"/],
    ['Open,High,Low,Close,Volume\n1,2,0.5,1,10\n', /no time column/],
    [',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,abc,10\n', /line 2, column "Close": "abc" is not a number/],
    [',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1,10\n2024-01-02,1,2,0.5,NaN,10\n', /line 3, column "Close": "NaN" is not a finite number/],
    [',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,Infinity,10\n', /line 2, column "Close": "Infinity" is not a finite number/],
    [',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1e999,10\n', /line 2, column "Close": "1e999" is not a finite number/],
    [',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,,10\n', /line 2, column "Close": empty cell/],
    [',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1\n', /line 2: expected 6 cells like the header, got 5/],
    [',Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1,10\n2024-01-01,1,2,0.5,1,10\n', /line 3: timestamp 2024-01-01 00:00:00 is earlier than 2024-01-02 00:00:00 on line 2/],
    [',Open,High,Low,Close,Volume\n2024-01-01 10:00:00,1,2,0.5,1,10\n2024-01-01 10:00:00,1,2,0.5,1,10\n', /line 3: duplicate timestamp 2024-01-01 10:00:00 \(also on line 2\)/],
    [',Open,High,Low,Close,Volume\n2024-02-30,1,2,0.5,1,10\n', /line 2, column "\(time\)": cannot read "2024-02-30" as a timestamp/],
  ])('rejects bad input %#', (text, re) => {
    expect(() => parseOhlcvCsv(text)).toThrow(re);
    try {
      parseOhlcvCsv(text);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('BAD_CSV');
    }
  });
});
