import { Errors, ServiceBroker } from 'moleculer';
import { InlinePrometheusReporter } from '../../../moleculer.config';
import { loadConfig } from '../../../config';
import { createBroker } from '../../../runner';

describe('bulkhead (the built-in one replaced, same behaviour)', () => {
  let broker: ServiceBroker;
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const order: number[] = [];
  beforeAll(async () => {
    const cfg = loadConfig({ LOG_LEVEL: 'error', PORT: '0', MT5_PORT: '0', REPLAY: 'false' });
    broker = createBroker(cfg, { logger: false, bulkhead: { enabled: true, concurrency: 200, maxQueueSize: 2000 } });
    broker.createService({
      name: 'bh',
      actions: {
        gated: {
          bulkhead: { enabled: true, concurrency: 2, maxQueueSize: 3 },
          params: { i: 'number', fail: { type: 'boolean', optional: true } },
          handler: async (ctx) => {
            const p = ctx.params as { i: number; fail?: boolean };
            running++;
            peak = Math.max(peak, running);
            order.push(p.i);
            await new Promise<void>((r) => gates.push(r));
            running--;
            if (p.fail) throw new Error(`failed ${p.i}`);
            return p.i;
          },
        },
      },
    });
    await broker.start();
  });
  afterAll(() => broker.stop());

  const metricsText = () => ((broker as unknown as { metrics: { reporter: unknown[] } }).metrics.reporter.find((x) => x instanceof InlinePrometheusReporter) as InlinePrometheusReporter).render();
  const gauge = (name: string) => Number(metricsText().split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('action="bh.gated"'))!.split(' ').pop());
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs at most `concurrency` at once, queues in order up to maxQueueSize, refuses beyond; a failure frees its slot', async () => {
    const calls = [0, 1, 2, 3, 4].map((i) => broker.call('bh.gated', { i, fail: i === 1 }).then((v) => ({ ok: v }), (e: Error) => ({ err: e })));
    await tick();
    const refused = await broker.call('bh.gated', { i: 5 }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Errors.QueueIsFullError);
    expect(running).toBe(2);
    expect(gauge('moleculer_request_bulkhead_inflight')).toBe(2);
    expect(gauge('moleculer_request_bulkhead_queue_size')).toBe(3);
    while (order.length < 5 || gates.length > 0) {
      gates.shift()?.();
      await tick();
      await tick();
    }
    const results = await Promise.all(calls);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(results.map((r) => ('ok' in r ? r.ok : (r.err as Error).message))).toEqual([0, 'failed 1', 2, 3, 4]);
    expect(gauge('moleculer_request_bulkhead_inflight')).toBe(0);
    expect(gauge('moleculer_request_bulkhead_queue_size')).toBe(0);
  });
});
