/**
 * Fuzz: well over 10⁵ malformed lines over a real socket, written in random
 * packet sizes (so lines split across packets), with good ticks interleaved.
 * The gateway must survive, count every bad line by code, answer with
 * rate-limited errors, and deliver every good tick.
 */
import { EURUSD_SPEC, Harness, startHarness, until } from './harness';
import { RawClient } from './raw-client';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OFFSET_MS = 10800 * 1000;
const T0 = Date.UTC(2014, 4, 8);

type Code = 'BAD_JSON' | 'LINE_TOO_LONG' | 'NOT_OBJECT' | 'MISSING_TYPE' | 'UNKNOWN_TYPE' | 'MISSING_FIELD' | 'BAD_FIELD' | 'DUPLICATE_HELLO';

describe('MT5 gateway fuzz', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('mt5fuzz', { heartbeatSec: 5 });
  });
  afterAll(async () => h.stop());

  it('survives 10⁵+ malformed lines, counts each by code, rate-limits errors and still delivers every good tick', async () => {
    const rand = rng(20140508);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const chunks: Buffer[] = [];
    const expected: Record<Code, number> = { BAD_JSON: 0, LINE_TOO_LONG: 0, NOT_OBJECT: 0, MISSING_TYPE: 0, UNKNOWN_TYPE: 0, MISSING_FIELD: 0, BAD_FIELD: 0, DUPLICATE_HELLO: 0 };
    let seq = 0;
    let good = 0;
    let bad = 0;
    const goodTick = () => {
      seq++;
      good++;
      chunks.push(Buffer.from(JSON.stringify({ type: 'tick', seq, symbol: 'EURUSD.m', time_msc: T0 + OFFSET_MS + seq, bid: 1.39, ask: 1.3901 }) + '\n'));
    };
    const badLine = (code: Code, line: string | Buffer) => {
      expected[code]++;
      bad++;
      chunks.push(typeof line === 'string' ? Buffer.from(line + '\n') : Buffer.concat([line, Buffer.from('\n')]));
    };
    const tick = { type: 'tick', seq: 1, symbol: 'EURUSD.m', time_msc: T0, bid: 1.39, ask: 1.3901 };
    const generators: (() => void)[] = [
      () => {
        const full = JSON.stringify({ ...tick, seq: seq + 1 });
        badLine('BAD_JSON', full.slice(0, 1 + Math.floor(rand() * (full.length - 2))));
      },
      () => badLine('BAD_JSON', pick(['hello world', '{{}}', '{"type":"tick" "seq":1}', "{'type':'tick'}", '{"type":"tick",}', 'NaN', '{"a":01}', '\u0000{}'])),
      () => {
        const n = 1 + Math.floor(rand() * 200);
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
        b[0] = 0xff;
        for (let i = 0; i < n; i++) if (b[i] === 0x0a) b[i] = 0x0b;
        badLine('BAD_JSON', b);
      },
      () => badLine('NOT_OBJECT', pick(['[1,2,3]', '42', '"tick"', 'null', 'true', '[]', '-0.5e3'])),
      () => badLine('MISSING_TYPE', pick(['{}', '{"seq":1,"bid":1}', '{"type":null}', '{"Type":"tick"}'])),
      () => badLine('UNKNOWN_TYPE', JSON.stringify({ type: pick(['tik', 'TICK', 'order', 'welcome', '__proto__', 'toString', 'x'.repeat(100)]) })),
      () => {
        const field = pick(['seq', 'symbol', 'time_msc', 'bid', 'ask']);
        badLine('MISSING_FIELD', JSON.stringify({ ...tick, [field]: undefined }));
      },
      () => {
        const [field, value] = pick<[string, unknown]>([
          ['seq', -1],
          ['seq', 'one'],
          ['seq', 1.5],
          ['symbol', 7],
          ['symbol', ''],
          ['time_msc', 1.25],
          ['time_msc', '2014-05-08'],
          ['bid', '1.39'],
          ['ask', {}],
          ['flags', 'x'],
          ['type', 5],
        ]);
        badLine('BAD_FIELD', JSON.stringify({ ...tick, [field]: value }));
      },
      () => badLine('BAD_FIELD', JSON.stringify({ type: 'account', balance: 'rich', equity: 1 })),
      () => badLine('DUPLICATE_HELLO', JSON.stringify({ type: 'hello', protocol: 1, token: 'x', login: '1', server: 's', server_offset_sec: 0 })),
    ];
    while (bad < 100_500) {
      if (rand() < 0.02) goodTick();
      else if (rand() < 0.0003) badLine('LINE_TOO_LONG', '{"type":"tick","pad":"' + 'x'.repeat(70_000) + '"}');
      else pick(generators)();
    }
    goodTick();
    expect(expected.LINE_TOO_LONG).toBeGreaterThan(10);

    const c = await RawClient.tcp(h.port);
    c.hello(h.token, { login: '900' });
    await c.type('welcome');
    c.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c.type('backfill');

    // write the stream in random packet sizes; lines straddle packets
    const stream = Buffer.concat(chunks);
    const sock = c.socket!;
    const t0 = Date.now();
    for (let off = 0; off < stream.length; ) {
      const n = 1 + Math.floor(rand() * 8192);
      const ok = sock.write(stream.subarray(off, off + n));
      off += n;
      if (!ok) await new Promise((r) => sock.once('drain', r));
    }
    const session = async () => (await h.broker.call<{ items: any[] }, any>('mt5-gateway.sessions', {})).items.find((s) => s.login === '900');
    await until(() => h.md.ticks.length === good, 60_000, 'every good tick');
    let s = await session();
    for (let i = 0; i < 600 && s.malformed < bad; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = await session();
    }
    const elapsedSec = (Date.now() - t0) / 1000;

    // every bad line counted, by code
    expect(s.malformed).toBe(bad);
    for (const [code, n] of Object.entries(expected)) expect([code, s.errors[code] ?? 0]).toEqual([code, n]);
    expect(bad).toBeGreaterThanOrEqual(100_000);
    // good ticks all arrived, in order, no gap (bad ticks never consumed a seq)
    expect(s).toMatchObject({ gaps: 0, duplicates: 0, lastSeq: seq, ingested: good });
    expect(h.md.ticks.every((t, i) => t.time_msc === T0 + i + 1)).toBe(true);
    // errors: each refusal was either sent or suppressed; what was sent respects the rate limit
    expect(s.errorsSent + s.errorsSuppressed).toBe(bad);
    await until(() => c.received.filter((m) => m.type === 'error').length >= s.errorsSent, 3000, 'error messages');
    const errs = c.received.filter((m) => m.type === 'error');
    expect(errs.length).toBe(s.errorsSent);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.length).toBeLessThanOrEqual(20 + Math.ceil(10 * (elapsedSec + 1)));
    expect(errs.some((e) => typeof e.suppressed === 'number' && e.suppressed > 0)).toBe(true);
    expect(c.closed).toBe(false);

    // the process and the gateway are fine: a new terminal connects and streams
    const c2 = await RawClient.tcp(h.port);
    c2.hello(h.token, { login: '901' });
    await c2.type('welcome');
    c2.send({ type: 'symbols', symbols: [EURUSD_SPEC] });
    await c2.type('backfill');
    c2.tick('EURUSD.m', T0 + OFFSET_MS + 10_000_000, 1.4, 1.4001);
    await until(() => h.md.ticks.length === good + 1, 5000, 'tick after the flood');
    const st = await h.broker.call<any, any>('mt5-gateway.status', {});
    expect(st.totals.malformed).toBeGreaterThanOrEqual(bad);
    process.stderr.write(`fuzz: ${bad} malformed lines (${JSON.stringify(expected)}), ${good} good ticks, ${stream.length} bytes in ${elapsedSec.toFixed(2)} s; ${errs.length} error messages sent, ${s.errorsSuppressed} suppressed\n`);
    c.destroy();
    c2.destroy();
  }, 120_000);
});
