import { ServiceBroker } from 'moleculer';
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { toProbabilities } from '../../../lib/agents/opinion';
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { createBroker } from '../../../runner';
import type { OpinionQuery } from '../../../types/agents';
import type { Candle } from '../../../types/market';
import { testConfig } from '../../helpers/infra';

/** Follows the last close; enough to show which of its work is traced. */
class LastCloseAgent implements Agent {
  readonly id = 'last-close';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  last: Candle | null = null;
  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.last = e.candle;
  }
  opine(q: OpinionQuery): OpinionDraft {
    const c = this.last;
    const signal = c ? Math.tanh((c.c - c.o) / c.o / 0.001) : 0;
    return { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, signal, p: toProbabilities(signal, 0.5), confidence: 0.5, rationale: 'last bar', asOf: q.asOf ?? 0 };
  }
}

describe("state-update handlers get no span, the agents' opinions do", () => {
  let broker: ServiceBroker;
  const finished: { name: string; tags: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    broker = createBroker(testConfig({ LOG_LEVEL: 'error' }), { logger: false });
    broker.createService({ name: 'agent.last-close', mixins: [createAgentMixin(new LastCloseAgent(), { warmupBars: 0 })] });
    broker.createService({ name: 'listener', events: { 'candle.closed': { handler: () => undefined } } });
    await broker.start();
    const tracer = broker.tracer as unknown as { exporter: { spanFinished(s: unknown): void }[] };
    const exp = tracer.exporter[0];
    const orig = exp.spanFinished.bind(exp);
    exp.spanFinished = (s: unknown) => {
      finished.push(s as { name: string; tags: Record<string, unknown> });
      orig(s);
    };
  });
  afterAll(() => broker.stop());

  it('traces opine and an ordinary listener, not the agent folding a candle in', async () => {
    const candle: Candle = { symbol: 'EURUSD', tf: 'M1', t: 0, o: 1.1, h: 1.102, l: 1.099, c: 1.101, v: 10, n: 10 };
    await broker.emit('candle.closed', candle);
    const op = await broker.call<{ signal: number }, object>('agent.last-close.opine', { symbol: 'EURUSD', tf: 'M1' });
    expect(op.signal).toBeGreaterThan(0);
    const names = finished.map((s) => `${s.name}|${String((s.tags.service as { name?: string } | undefined)?.name ?? '')}`);
    expect(names.some((n) => n.startsWith("action 'agent.last-close.opine'"))).toBe(true);
    expect(names.some((n) => n.startsWith("event 'candle.closed' in 'listener'"))).toBe(true);
    expect(names.some((n) => n.startsWith("event 'candle.closed' in 'agent.last-close'"))).toBe(false);
  });
});
