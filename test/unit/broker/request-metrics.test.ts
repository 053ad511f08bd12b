import { ServiceBroker } from 'moleculer';
import { InlinePrometheusReporter } from '../../../moleculer.config';
import { createBroker } from '../../../runner';
import { loadConfig } from '../../../config';
import { REQUEST_BUCKETS_MS } from '../../../middlewares/request-metrics.middleware';
import { DomainError } from '../../../lib/errors';

describe('per-request metrics (the built-in Metrics middleware replaced)', () => {
  let broker: ServiceBroker;
  let slowMs = 0;
  beforeAll(async () => {
    const cfg = loadConfig({ LOG_LEVEL: 'error', PORT: '0', MT5_PORT: '0', REPLAY: 'false' });
    broker = createBroker(cfg, { logger: false });
    broker.createService({
      name: 'm',
      actions: {
        ok: { params: { x: 'number' }, handler: (ctx) => (ctx.params as { x: number }).x * 2 },
        slow: { params: {}, handler: () => new Promise((r) => setTimeout(() => r(slowMs), 30)) },
        refuse: { params: {}, handler: () => { throw new DomainError('NOPE', 'refused', 422); } },
        viaOther: { params: {}, handler: (ctx) => ctx.call('m.ok', { x: 1 }) },
        busy: {
          params: {},
          handler: () => {
            const end = performance.now() + 30;
            while (performance.now() < end);
            return 1;
          },
        },
      },
      events: { 'm.happened': { handler: () => undefined } },
    });
    await broker.start();
  });
  afterAll(() => broker.stop());

  const render = () => {
    const r = (broker as unknown as { metrics: { reporter: unknown[] } }).metrics.reporter.find((x) => x instanceof InlinePrometheusReporter) as InlinePrometheusReporter;
    return r.render();
  };
  const line = (text: string, re: RegExp) => text.split('\n').find((l) => re.test(l));

  it("keeps Moleculer's internal middlewares in their order, Metrics swapped", () => {
    const names = (broker as unknown as { middlewares: { list: { name?: string }[] } }).middlewares.list.map((m) => m.name);
    const expected = ServiceBroker.INTERNAL_MIDDLEWARES.map((n) => (n === 'Metrics' ? 'RequestMetrics' : n));
    const internal = names.slice(names.length - expected.length);
    expect(internal).toEqual(expected);
    expect(names).not.toContain('Metrics');
  });

  it('counts calls per action and caller, errors with their name and code, and times them in cumulative buckets', async () => {
    for (let i = 0; i < 3; i++) await broker.call('m.ok', { x: i });
    await broker.call('m.viaOther');
    await expect(broker.call('m.refuse')).rejects.toThrow('refused');
    await expect(broker.call('m.ok', { x: 'nope' })).rejects.toThrow(/Parameters validation error/);
    slowMs = 1;
    await broker.call('m.slow');
    const text = render();
    expect(text).toMatch(/# TYPE moleculer_request_total counter/);
    expect(line(text, /^moleculer_request_total\{namespace="plan2",nodeID="[^"]+",service="m",action="m.ok",type="local",caller=""\}/)).toMatch(/ 4$/);
    expect(line(text, /^moleculer_request_total\{.*,action="m.ok",type="local",caller="m"\}/)).toMatch(/ 1$/);
    expect(line(text, /^moleculer_request_error_total\{.*,action="m.refuse".*errorName="MoleculerClientError",errorCode="422",errorType="NOPE"\}/)).toMatch(/ 1$/);
    expect(line(text, /^moleculer_request_error_total\{.*,action="m.ok".*errorName="ValidationError"/)).toMatch(/ 1$/);
    expect(line(text, /^moleculer_request_active\{.*,action="m.slow"/)).toMatch(/ 0$/);
    // The 30 ms call is in the 50 ms bucket and above, not in the 25 ms one; +Inf equals the count.
    const bucket = (le: number | string) => Number(line(text, new RegExp(`^moleculer_request_time_bucket\\{.*,action="m.slow",type="local",caller="",le="${String(le).replace('+', '\\+')}"\\}`))!.split(' ').pop());
    expect(bucket(25)).toBe(0);
    expect(bucket(50)).toBe(1);
    expect(bucket(REQUEST_BUCKETS_MS[REQUEST_BUCKETS_MS.length - 1])).toBe(1);
    expect(bucket('+Inf')).toBe(1);
    const sum = Number(line(text, /^moleculer_request_time_sum\{.*,action="m.slow"/)!.split(' ').pop());
    expect(sum).toBeGreaterThanOrEqual(29);
    expect(sum).toBeLessThan(1000);
  });

  it('times the synchronous part of a handler too', async () => {
    await broker.call('m.busy');
    const text = render();
    const bucket = (le: number | string) => Number(line(text, new RegExp(`^moleculer_request_time_bucket\\{.*,action="m.busy",type="local",caller="",le="${String(le).replace('+', '\\+')}"\\}`))!.split(' ').pop());
    // The 30 ms of synchronous work is counted (not in the 25 ms bucket); an upper bucket is
    // not asserted, since a loaded machine may deschedule the busy loop.
    expect(bucket(25)).toBe(0);
    expect(bucket('+Inf')).toBe(1);
    expect(Number(line(text, /^moleculer_request_time_sum\{.*,action="m.busy"/)!.split(' ').pop())).toBeGreaterThanOrEqual(29);
  });

  it('counts received events, and the built-in emit counters still work', async () => {
    await broker.emit('m.happened', {});
    await broker.emit('m.happened', {});
    const text = render();
    expect(line(text, /^moleculer_event_received_total\{.*,service="m",group="m",event="m.happened"/)).toMatch(/ 2$/);
    expect(line(text, /^moleculer_event_emit_total\{.*event="m.happened"/)).toMatch(/ 2$/);
  });
});
