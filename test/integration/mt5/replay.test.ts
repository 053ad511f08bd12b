/** The replay feed over the real wire into the real gateway. */
import * as path from 'node:path';
import { main } from '../../../cli/plan2';
import { readTickFile, ReplayEvent, startReplay } from '../../../mt5-gateway/replay';
import { SHARED_DATA_DIR } from '../../../paths';
import { Harness, startHarness, until } from './harness';

const HISTDATA = path.join(SHARED_DATA_DIR, 'nautilus_trader/quote_tick_data.csv');
const TRUEFX = path.join(SHARED_DATA_DIR, 'nautilus_trader/truefx-usdjpy-ticks.csv');
const LEAN_XAUUSD = path.join(SHARED_DATA_DIR, 'lean/cfd/oanda/tick/xauusd/20140511_xauusd_tick_quote.csv');

describe('replay feed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('mt5replay');
  });
  afterEach(() => {
    h.md.ticks.length = 0;
  });
  afterAll(async () => h.stop());

  it('plays HistData ticks as fast as possible, exactly as read, and resumes after what is stored', async () => {
    const series = readTickFile(HISTDATA, { symbol: 'EURUSD' });
    const r = startReplay({ file: HISTDATA, symbol: 'EURUSD', speed: 0, port: h.port, token: h.token, login: '3001', serverOffsetSec: 7200 });
    const s = await r.done;
    expect(s).toMatchObject({ sent: 9500, lastSeq: 9500, reason: 'end of file', errors: {}, connects: 1 });
    // the client is done writing; the gateway flushes what it received on close
    await until(() => h.md.ticks.filter((t) => t.symbol === 'EURUSD').length >= 9500, 20_000, 'all HistData ticks');
    const got = h.md.ticks.filter((t) => t.symbol === 'EURUSD');
    expect(got).toHaveLength(9500);
    let mismatches = 0;
    for (let i = 0; i < got.length; i++) if (got[i].time_msc !== series.time[i] || got[i].bid !== series.bid[i] || got[i].ask !== series.ask[i]) mismatches++;
    expect(mismatches).toBe(0);
    const { items } = await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {});
    expect(items.filter((x) => x.login === '3001')).toEqual([]); // closed at the end
    // a second run of the same account skips everything already stored
    const again = await startReplay({ file: HISTDATA, symbol: 'EURUSD', speed: 0, port: h.port, token: h.token, login: '3001', serverOffsetSec: 7200 }).done;
    expect(again).toMatchObject({ sent: 0, reason: 'end of file' });
  });

  it('paces ticks at the requested speed and answers pings meanwhile', async () => {
    const series = readTickFile(TRUEFX);
    const spanMs = series.time[series.length - 1] - series.time[0];
    const speed = spanMs / 1200; // ~1.2 s of wall time, several heartbeats of 0.25 s
    const t0 = Date.now();
    const s = await startReplay({ file: TRUEFX, speed, port: h.port, token: h.token, login: '3002' }).done;
    const took = Date.now() - t0;
    expect(s).toMatchObject({ sent: 1000, errors: {}, connects: 1, reason: 'end of file' });
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(6000);
    await until(() => h.md.ticks.filter((t) => t.symbol === 'USDJPY').length >= 1000, 20_000, 'paced ticks');
    expect(h.md.ticks.filter((t) => t.symbol === 'USDJPY')).toHaveLength(1000);
  });

  it('loops with times moved forward by whole days, and stops on abort', async () => {
    const ctl = new AbortController();
    const events: ReplayEvent[] = [];
    const r = startReplay({
      file: LEAN_XAUUSD,
      speed: 0,
      loop: true,
      port: h.port,
      token: h.token,
      login: '3003',
      signal: ctl.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'loop' && e.loops === 2) ctl.abort();
      },
    });
    const s = await r.done;
    expect(s.reason).toBe('aborted');
    expect(s.loops).toBe(2);
    await until(() => h.md.ticks.filter((t) => t.symbol === 'XAUUSD').length >= 2 * 14_987, 20_000, 'two loops ingested');
    const xau = h.md.ticks.filter((t) => t.symbol === 'XAUUSD');
    let backwards = 0;
    for (let i = 1; i < xau.length; i++) if (xau[i].time_msc < xau[i - 1].time_msc) backwards++;
    expect(backwards).toBe(0);
    expect(xau.length).toBeGreaterThanOrEqual(2 * 14_987);
    expect(xau[14_987].time_msc - xau[0].time_msc).toBe(86_400_000);
  });

  it('stops on a refused token', async () => {
    const s = await startReplay({ file: TRUEFX, speed: 0, port: h.port, token: 'p2mt5_wrong', login: '3004' }).done;
    expect(s.reason).toBe('gateway refused: BAD_TOKEN');
    expect(s.sent).toBe(0);
  });

  it('plan2 replay runs from the command line', async () => {
    const out: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((x: any) => (out.push(String(x)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['replay', TRUEFX, '--speed', '0', '--port', String(h.port), '--token', h.token, '--login', '3005', '--symbol', 'USDJPY.r']);
      expect(code).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ symbol: 'USDJPY.r', format: 'csv', sent: 1000, reason: 'end of file' });
      expect(await main(['replay'])).toBe(2);
      expect(await main(['replay', TRUEFX, '--format', 'xml', '--token', 'x'])).toBe(2);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    // the broker name USDJPY.r is stored under its canonical name
    await until(() => h.md.ticks.filter((t) => t.symbol === 'USDJPY').length >= 1000, 20_000, 'cli ticks');
    expect(h.md.ticks.filter((t) => t.symbol === 'USDJPY')).toHaveLength(1000);
  });
});
