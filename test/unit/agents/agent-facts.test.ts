import { ServiceBroker } from 'moleculer';
import type { Agent, AgentEvent, AgentFact, OpinionDraft } from '../../../lib/agents/agent';
import { neutralDraft } from '../../../lib/agents/opinion';
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { createBroker } from '../../../runner';
import type { OpinionQuery } from '../../../types/agents';
import type { Candle } from '../../../types/market';
import { testConfig } from '../../helpers/infra';
import { waitFor } from '../../helpers/wait';

/** Announces every third candle: a fact derived from its input. */
class CounterAgent implements Agent {
  readonly id = 'counter';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  private n = 0;
  private out: AgentFact[] = [];
  update(e: AgentEvent): void {
    if (e.type !== 'candle.closed') return;
    if (++this.n % 3 === 0) this.out.push({ event: 'counter.reached', payload: { n: this.n, t: e.candle.t }, broadcast: this.n === 6 });
  }
  opine(q: OpinionQuery): OpinionDraft {
    return neutralDraft({ agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? 0 }, `${this.n} candles`);
  }
  drainFacts(): AgentFact[] {
    const f = this.out;
    this.out = [];
    return f;
  }
}

const bar = (t: number): Candle => ({ symbol: 'EURUSD', tf: 'M1', t, o: 1, h: 1, l: 1, c: 1, v: 1, n: 1 });

describe('agent facts', () => {
  let broker: ServiceBroker;
  const heard: { n: number }[] = [];
  const published: string[] = [];
  beforeAll(async () => {
    broker = createBroker(testConfig(), { logger: false });
    broker.createService({ name: 'agent.counter', mixins: [createAgentMixin(() => new CounterAgent(), { warmupBars: 0 })] });
    broker.createService({
      name: 'agent.counter2',
      mixins: [
        createAgentMixin(() => Object.assign(new CounterAgent(), { id: 'counter2' }), {
          warmupBars: 0,
          async publish(f) {
            await new Promise((r) => setTimeout(r, 5));
            published.push(`${f.event}:${(f.payload as { n: number }).n}`);
          },
        }),
      ],
    });
    broker.createService({ name: 'listener', events: { 'counter.reached'(ctx: { params: { n: number } }) { heard.push(ctx.params); } } });
    await broker.start();
  });
  afterAll(() => broker.stop());

  it('publishes what an agent derives, in order, by emit or broadcast or through the service’s publisher', async () => {
    for (let i = 0; i < 7; i++) await broker.emit('candle.closed', bar(1_700_000_000_000 + i * 60_000));
    await waitFor(() => heard.length >= 2 && published.length >= 2);
    expect(heard.map((h) => h.n)).toEqual([3, 6]);
    expect(published).toEqual(['counter.reached:3', 'counter.reached:6']);
  });
});
