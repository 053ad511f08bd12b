import { ServiceBroker } from 'moleculer';
import type { Agent, AgentEvent, AgentEventType, OpinionDraft } from '../../../lib/agents/agent';
import { toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { agentOf, AgentStatus, createAgentMixin, localOpine } from '../../../mixins/agent.mixin';
import { createBroker } from '../../../runner';
import type { Opinion, OpinionQuery } from '../../../types/agents';
import type { Candle } from '../../../types/market';
import { testConfig } from '../../helpers/infra';
import { waitFor } from '../../helpers/wait';

type Mode = 'ok' | 'bad-sum' | 'bad-signal' | 'throw';
interface P {
  mode: number;
}
const SCHEMA: ParamSchema<P> = { mode: { type: 'number', min: 0, max: 3, integer: true, doc: 'behaviour' } };
const MODES: Mode[] = ['ok', 'bad-sum', 'bad-signal', 'throw'];

/** An agent whose last close decides its signal, with switchable misbehaviour. */
class ProbeAgent implements Agent {
  readonly id = 'probe';
  readonly group = 'research' as const;
  readonly scope: 'market' | 'tenant' = 'market';
  readonly events: readonly AgentEventType[] = ['candle.closed'];
  closes = new Map<string, Candle>();
  params: P = { mode: 0 };
  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.closes.set(`${e.candle.symbol}|${e.candle.tf}`, e.candle);
  }
  opine(q: OpinionQuery): OpinionDraft {
    const c = this.closes.get(`${q.symbol}|${q.tf}`);
    const mode = MODES[this.params.mode];
    if (mode === 'throw') throw new Error('division by zero in probe');
    const signal = c ? Math.tanh((c.c - c.o) / c.o / 0.001) : 0;
    const p = toProbabilities(signal, 0.8);
    if (mode === 'bad-sum') p.buy += 0.1;
    return { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, signal: mode === 'bad-signal' ? 1.5 : signal, p, confidence: 0.8, rationale: c ? `last bar ${c.o}→${c.c}` : 'no bars', asOf: q.asOf ?? (c ? c.t + 60_000 : 0) };
  }
  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(SCHEMA, this.params, patch);
    return { ...this.params };
  }
  config(): Record<string, unknown> {
    return { ...this.params };
  }
  snapshot(): Record<string, unknown> {
    return { series: this.closes.size };
  }
}

const bar = (o: number, c: number, t = 1_700_000_000_000): Candle => ({ symbol: 'EURUSD', tf: 'M1', t, o, h: Math.max(o, c), l: Math.min(o, c), c, v: 10, n: 10 });

describe('agent mixin', () => {
  let broker: ServiceBroker;
  beforeAll(async () => {
    broker = createBroker(testConfig(), { logger: false });
    broker.createService({ name: 'agent.probe', mixins: [createAgentMixin(() => new ProbeAgent(), { warmupBars: 0 })] });
    await broker.start();
  });
  afterAll(() => broker.stop());

  const setMode = (mode: number) => broker.call('agent.probe.configure', { params: { mode } });

  it('declares itself in the registry metadata', () => {
    const svc = broker.registry.getServiceList({ onlyAvailable: true }).find((s) => s.name === 'agent.probe');
    expect(svc?.metadata).toEqual({ agent: { id: 'probe', group: 'research', scope: 'market', events: ['candle.closed'] } });
  });

  it('feeds subscribed events to the agent and opines from them, stamping latency', async () => {
    await broker.emit('candle.closed', bar(1.1, 1.1011));
    await new Promise((r) => setImmediate(r));
    const o = await broker.call<Opinion, object>('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' });
    expect(o.signal).toBeGreaterThan(0.5);
    expect(o.latencyMs).toBeGreaterThanOrEqual(0);
    expect(o.latencyMs).toBeLessThan(50);
    expect(o.p.buy + o.p.hold + o.p.sell).toBeCloseTo(1, 12);
  });

  it('folds a candle passed with the query in before opining', async () => {
    const o = await broker.call<Opinion, object>('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1', candle: bar(1.1011, 1.0995, 1_700_000_060_000) });
    expect(o.signal).toBeLessThan(-0.5);
    expect(o.asOf).toBe(1_700_000_120_000);
    await expect(broker.call('agent.probe.opine', { symbol: 'GBPUSD', tf: 'M1', candle: bar(1, 1) })).rejects.toMatchObject({ code: 422, type: 'BAD_CANDLE' });
  });

  it('validates its params', async () => {
    await expect(broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M2' })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(broker.call('agent.probe.configure', { params: { mode: 9 } })).rejects.toMatchObject({ code: 422, type: 'BAD_CONFIG' });
    await expect(broker.call('agent.probe.configure', { params: { speed: 1 } })).rejects.toMatchObject({ code: 422, type: 'BAD_CONFIG' });
  });

  it('rejects probabilities that do not sum to 1 and a signal out of range, counting them as invalid', async () => {
    await setMode(1);
    await expect(broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' })).rejects.toMatchObject({ code: 500, type: 'AGENT_INVALID_OUTPUT', message: expect.stringMatching(/probabilities sum to 1.1/) });
    await setMode(2);
    await expect(broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' })).rejects.toMatchObject({ type: 'AGENT_INVALID_OUTPUT', message: expect.stringMatching(/signal 1.5 outside/) });
    const s = await broker.call<AgentStatus, object>('agent.probe.status', {});
    expect(s.errors.invalid).toBe(2);
    expect(s.lastError?.message).toMatch(/invalid output: signal 1.5/);
  });

  it('localOpine: the agent as a function in this broker, with the action\'s checks and errors', async () => {
    const here = localOpine(broker, 'probe')!;
    expect(localOpine(broker, 'nobody')).toBeNull();
    await setMode(0);
    const o = here({ symbol: 'EURUSD', tf: 'M1' }, undefined, undefined);
    const viaBroker = await broker.call<Opinion, object>('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' });
    expect({ ...o, latencyMs: 0 }).toEqual({ ...viaBroker, latencyMs: 0 });
    expect(() => here({ symbol: 'EURUSD', tf: 'X9' as never }, undefined, undefined)).toThrow(expect.objectContaining({ type: 'VALIDATION_ERROR', code: 422 }));
    await setMode(1);
    expect(() => here({ symbol: 'EURUSD', tf: 'M1' }, undefined, undefined)).toThrow(expect.objectContaining({ type: 'AGENT_INVALID_OUTPUT' }));
    await setMode(0);
  });

  it('turns an exception into an error reply and keeps serving', async () => {
    await setMode(3);
    await expect(broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' })).rejects.toMatchObject({ code: 500, type: 'AGENT_FAILED', message: expect.stringMatching(/division by zero/) });
    await setMode(0);
    const o = await broker.call<Opinion, object>('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' });
    expect(o.agent).toBe('probe');
    const s = await broker.call<AgentStatus, object>('agent.probe.status', {});
    expect(s.errors.exception).toBe(1);
    expect(s.opinions).toBeGreaterThanOrEqual(3);
    expect(s.latencyMs.p50).not.toBeNull();
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50!);
    expect(s.lastOpinion?.agent).toBe('probe');
    expect(s.state).toEqual({ series: 1 });
    expect(s.config).toEqual({ mode: 0 });
  });

  it('ignores a malformed event payload without crashing', async () => {
    await broker.emit('candle.closed', { nonsense: true });
    await new Promise((r) => setImmediate(r));
    const s = await broker.call<AgentStatus, object>('agent.probe.status', {});
    expect(s.errors.update).toBe(1);
  });
});

describe('agent mixin, tenant scope', () => {
  it('requires a tenant for tenant-scoped agents', async () => {
    class T extends ProbeAgent {
      override readonly scope = 'tenant' as const;
    }
    const broker = createBroker(testConfig(), { logger: false });
    broker.createService({ name: 'agent.probe', mixins: [createAgentMixin(() => new T(), { warmupBars: 0 })] });
    await broker.start();
    try {
      await expect(broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' })).rejects.toMatchObject({ code: 422, type: 'TENANT_REQUIRED' });
      const o = await broker.call<Opinion, object>('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1' }, { meta: { tenantId: 't1' } });
      expect(o.agent).toBe('probe');
    } finally {
      await broker.stop();
    }
  });
});

describe('agent mixin, portfolio feed from trading.book', () => {
  it('reads the tenant book on first use and after fills, as signed notionals with the peak equity', async () => {
    class BookAgent extends ProbeAgent {
      override readonly scope: 'market' | 'tenant' = 'tenant';
      override readonly events = ['candle.closed', 'positions.updated'] as unknown as readonly ['candle.closed'];
      books: unknown[] = [];
      override update(e: AgentEvent): void {
        if (e.type === 'positions.updated') this.books.push(e.snapshot);
        else super.update(e);
      }
    }
    const agent = new BookAgent();
    let reads = 0;
    const broker = createBroker(testConfig(), { logger: false });
    broker.createService({ name: 'agent.probe', mixins: [createAgentMixin(agent, { warmupBars: 0, portfolio: true })] });
    // trading's book action as the trading service answers it (types/trading.ts Book + exposure)
    broker.createService({
      name: 'trading',
      actions: {
        book: {
          params: { tenantId: 'string' },
          handler: (ctx: { params: { tenantId: string } }) => {
            reads++;
            return { account: { tenantId: ctx.params.tenantId, peakEquity: 11_000 }, equity: 10_000 - reads, exposure: [{ symbol: 'EURUSD', netLots: -0.5, notional: 55_000 }, { symbol: 'GBPUSD', netLots: 0, notional: 0 }] };
          },
        },
      },
    });
    await broker.start();
    try {
      await broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1', tenantId: 't1' });
      await waitFor(() => agent.books.length === 1);
      expect(agent.books[0]).toMatchObject({ tenantId: 't1', equity: 9_999, peakEquity: 11_000, positions: [{ symbol: 'EURUSD', notional: -55_000 }] });
      await broker.call('agent.probe.opine', { symbol: 'EURUSD', tf: 'M1', tenantId: 't1' });
      await broker.emit('order.filled', { tenantId: 't1' });
      await waitFor(() => agent.books.length === 2);
      expect(reads).toBe(2);
    } finally {
      await broker.stop();
    }
  });

  it('folds decision.made in a turn later, in order and before the next candle, opinion or read', async () => {
    const seen: string[] = [];
    class Learner extends ProbeAgent {
      override readonly events: readonly AgentEventType[] = ['candle.closed', 'decision.made'];
      override update(e: AgentEvent): void {
        seen.push(e.type === 'decision.made' ? `decision ${e.decision.id}` : `candle ${e.type === 'candle.closed' ? e.candle.t : ''}`);
        super.update(e);
      }
    }
    const b = createBroker(testConfig(), { logger: false });
    const svc = b.createService({ name: 'agent.learner', mixins: [createAgentMixin(() => new Learner(), { warmupBars: 0 })] });
    const decision = (id: string) => ({ id, tenantId: 't1', symbol: 'EURUSD', tf: 'M1', asOf: 1, action: 'hold', p: { buy: 0.3, hold: 0.4, sell: 0.3 }, confidence: 0.1, method: 'bayesian', fusions: {}, opinions: [], abstained: [], vetoes: [], latencyMs: 0, traceId: null });
    await b.start();
    try {
      await b.emit('decision.made', decision('d1'));
      await b.emit('decision.made', decision('d2'));
      expect(seen).toEqual([]); // the emit returned before the agent learned from it
      await new Promise((r) => setImmediate(r));
      expect(seen).toEqual(['decision d1', 'decision d2']);
      // Deferred events never fall behind market data or an opinion.
      await b.emit('decision.made', decision('d3'));
      await b.emit('candle.closed', bar(1.1, 1.1011, 1_700_000_120_000));
      expect(seen.slice(2)).toEqual(['decision d3', 'candle 1700000120000']);
      await b.emit('decision.made', decision('d4'));
      await b.call('agent.learner.opine', { symbol: 'EURUSD', tf: 'M1' });
      expect(seen[4]).toBe('decision d4');
      await b.emit('decision.made', decision('d5'));
      agentOf(svc);
      expect(seen[5]).toBe('decision d5');
      await new Promise((r) => setImmediate(r));
      expect(seen).toHaveLength(6); // folded once
    } finally {
      await b.stop();
    }
  });


  it('runs an agent\'s maintenance after the bar\'s opinion (at the end of that turn), or on a timer when nobody asks', async () => {
    const log: string[] = [];
    class Refitter extends ProbeAgent {
      private due = false;
      override update(e: AgentEvent): void {
        if (e.type === 'candle.closed') {
          if (this.due) this.maintain(); // still queued at the next bar: done first
          log.push(`update ${e.candle.t}`);
          this.due = true;
        }
        super.update(e);
      }
      override opine(q: OpinionQuery): OpinionDraft {
        log.push('opine');
        return super.opine(q);
      }
      maintain(): void {
        if (!this.due) return;
        this.due = false;
        log.push('maintain');
      }
      maintenanceDue(): boolean {
        return this.due;
      }
    }
    const b = createBroker(testConfig(), { logger: false });
    b.createService({ name: 'agent.probe', mixins: [createAgentMixin(() => new Refitter(), { warmupBars: 0 })] });
    await b.start();
    try {
      await b.emit('candle.closed', bar(1.1, 1.1011, 1_700_000_000_000));
      const op = localOpine(b, 'probe')!({ symbol: 'EURUSD', tf: 'M1' }, undefined, undefined);
      expect(op.agent).toBe('probe');
      expect(log).toEqual(['update 1700000000000', 'opine']); // the opinion does not wait for the refit
      await new Promise((r) => setImmediate(r));
      expect(log).toEqual(['update 1700000000000', 'opine', 'maintain']);
      // Nobody asks about the next bar: the maintenance runs on the fallback timer.
      await b.emit('candle.closed', bar(1.1, 1.1012, 1_700_000_060_000));
      await new Promise((r) => setImmediate(r));
      expect(log.slice(3)).toEqual(['update 1700000060000']);
      await waitFor(() => log.length === 5, 2000);
      expect(log.slice(3)).toEqual(['update 1700000060000', 'maintain']);
    } finally {
      await b.stop();
    }
  });
});
