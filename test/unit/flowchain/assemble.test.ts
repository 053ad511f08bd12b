import { assembleTrace } from '../../../flowchain/assemble';
import { ChainRegistry, compileChain } from '../../../flowchain/chain';
import { AI_DECISION, BUILT_IN_CHAINS, MT5_TO_DATABASE, USER_WORKFLOW } from '../../../flowchain/definitions';
import type { Execution, ExecutionSpan, SpanRecord } from '../../../types/flowchain';
import { sp } from './spans';

const chains = new ChainRegistry(BUILT_IN_CHAINS).compiled();
const ai = [compileChain(AI_DECISION)];

function step(e: Execution, id: string) {
  const s = e.steps.find((x) => x.step === id);
  if (!s) throw new Error(`step ${id} missing in ${e.chain}`);
  return s;
}

function treeSpans(t: ExecutionSpan, out: ExecutionSpan[] = []): ExecutionSpan[] {
  out.push(t);
  t.children.forEach((c) => treeSpans(c, out));
  return out;
}

const A = { tenantId: 'alpha' };
const B = { tenantId: 'beta' };

describe('assembleTrace: AI_Decision', () => {
  // candle.closed in consensus → decide(alpha) → 3 agents in parallel (one slow) → risk → submit → fill
  const spans: SpanRecord[] = [
    sp('agentA-cc', 'ingest', 'candle.closed@agent-a', 0, 0.3),
    sp('cc', 'ingest', 'candle.closed@consensus', 0, 50),
    sp('decide', 'cc', 'consensus.decide', 1, 48, A),
    sp('oa', 'decide', 'agent-a.opine', 2, 1, A),
    sp('slow', 'decide', 'agent-slow.opine', 2, 30, { ...A, node: 'n2' }),
    sp('ob', 'decide', 'agent-b.opine', 2, 2, A),
    sp('risk', 'decide', 'risk.evaluate', 33, 12, A),
    sp('submit', 'risk', 'trading.submit', 34, 10, A),
    sp('fill', 'submit', 'order.filled@trading', 43, 0.5, A),
  ];

  it('assembles one execution with every step, the critical path summing to the duration', () => {
    const ex = assembleTrace(spans, ai);
    expect(ex).toHaveLength(1); // the agent's own candle.closed listener is no decision
    const e = ex[0];
    expect(e).toMatchObject({ chain: 'AI_Decision', tenantId: 'alpha', status: 'ok', durationMs: 50, start: 0, sampleRate: 1, missing: [], nodes: ['n1', 'n2'] });
    expect(e.id).toBe('T1:cc:alpha');
    expect(e.criticalPath.reduce((a, p) => a + p.ms, 0)).toBeCloseTo(50, 9);
    expect(e.criticalPath.map((p) => [p.op, p.ms])).toEqual([
      ['candle.closed@consensus', 1],
      ['consensus.decide', 1],
      ['agent-slow.opine', 30],
      ['consensus.decide', 1],
      ['risk.evaluate', 1],
      ['trading.submit', 9],
      ['order.filled@trading', 0.5],
      ['trading.submit', 0.5],
      ['risk.evaluate', 1],
      ['consensus.decide', 4],
      ['candle.closed@consensus', 1],
    ]);
    expect(step(e, 'opine')).toMatchObject({ spans: 3, offsetMs: 2, durationMs: 30, criticalMs: 30, errors: 0 });
    expect(step(e, 'opine').ops.find((o) => o.op === 'agent-slow.opine')).toEqual({ op: 'agent-slow.opine', durationMs: 30, criticalMs: 30, error: false });
    expect(step(e, 'fusion').criticalMs).toBe(6);
    expect(step(e, 'candle').criticalMs).toBe(2);
    expect(step(e, 'submit').criticalMs).toBe(9.5);
    expect(e.steps.map((s) => s.step)).toEqual(['candle', 'opine', 'fusion', 'risk', 'submit', 'fill']);
    expect(e.tree.op).toBe('candle.closed@consensus');
    expect(treeSpans(e.tree)).toHaveLength(8);
  });

  it('marks a failed risk check as the failing step, with its error, even when the caller recovers', () => {
    const failed = spans.map((s) => (s.id === 'risk' ? { ...s, error: { name: 'MoleculerClientError', message: 'exposure limit', code: 422, type: 'RISK_LIMIT' } } : s));
    const [e] = assembleTrace(failed.filter((s) => s.id !== 'submit' && s.id !== 'fill'), ai);
    expect(e.status).toBe('error');
    expect(e.failingStep).toBe('risk');
    expect(e.failingOp).toBe('risk.evaluate');
    expect(e.error).toMatchObject({ type: 'RISK_LIMIT', message: 'exposure limit' });
    expect(e.missing).toEqual(['submit', 'fill']);
    expect(step(e, 'risk').errors).toBe(1);
  });

  it('follows a propagated error down to where it started', () => {
    const err = { name: 'MoleculerClientError', message: 'exposure limit', code: 422, type: 'RISK_LIMIT' };
    const failed = spans.map((s) => (['risk', 'decide', 'cc'].includes(s.id) ? { ...s, error: err } : s));
    const [e] = assembleTrace(failed, ai);
    expect(e).toMatchObject({ status: 'error', failingStep: 'risk', failingOp: 'risk.evaluate' });
  });

  it('does not fail the execution for an agent error its caller absorbed (fan-out step)', () => {
    const failed = spans.map((s) => (s.id === 'ob' ? { ...s, error: { name: 'Error', message: 'no data' } } : s));
    const [e] = assembleTrace(failed, ai);
    expect(e.status).toBe('ok');
    expect(step(e, 'opine').errors).toBe(1);
  });

  it('splits one candle into per-tenant executions that share market-scoped work and never hold another tenant\u2019s span', () => {
    const t: SpanRecord[] = [
      sp('cc', null, 'candle.closed@consensus', 0, 60),
      sp('oa', 'cc', 'agent-a.opine', 1, 2),
      sp('slow', 'cc', 'agent-slow.opine', 1, 20),
      sp('dA', 'cc', 'consensus.decide', 22, 8, A),
      sp('rA', 'dA', 'risk.evaluate', 23, 6, A),
      sp('sA', 'rA', 'trading.submit', 24, 4, A),
      sp('dB', 'cc', 'consensus.decide', 22, 18, { ...B, error: { name: 'MoleculerClientError', message: 'no', type: 'RISK_LIMIT' } }),
      sp('rB', 'dB', 'risk.evaluate', 23, 16, { ...B, error: { name: 'MoleculerClientError', message: 'no', type: 'RISK_LIMIT' } }),
    ];
    const ex = assembleTrace(t, ai);
    expect(ex.map((e) => e.tenantId)).toEqual(['alpha', 'beta']);
    const [a, b] = ex;
    for (const [e, own, other] of [
      [a, 'alpha', 'beta'],
      [b, 'beta', 'alpha'],
    ] as const) {
      const ts = treeSpans(e.tree);
      expect(ts.some((s) => s.tenantId === other)).toBe(false);
      expect(ts.filter((s) => s.tenantId === own).length).toBeGreaterThan(0);
      expect(ts.map((s) => s.id)).toEqual(expect.arrayContaining(['cc', 'oa', 'slow'])); // shared work kept
      expect(e.criticalPath.reduce((x, p) => x + p.ms, 0)).toBeCloseTo(e.durationMs, 9);
    }
    // The shared candle handler ran until 60 for both; alpha's part ended at 30.
    expect(a.durationMs).toBe(30);
    expect(a.status).toBe('ok');
    expect(step(a, 'opine').criticalMs).toBe(20);
    expect(b.durationMs).toBe(40);
    expect(b).toMatchObject({ status: 'error', failingStep: 'risk' });
    expect(a.id).not.toBe(b.id);
  });
});

describe('assembleTrace: MT5_To_Database, sampling, boundaries', () => {
  const t: SpanRecord[] = [
    sp('ingest', null, 'market-data.ingest', 0, 5, { sampleRate: 0.01 }),
    sp('val', 'ingest', 'validate', 0.1, 0.2, { service: 'market-data' }),
    sp('agg', 'ingest', 'aggregate', 0.3, 0.5, { service: 'market-data' }),
    sp('store', 'ingest', 'store', 0.8, 3.2, { service: 'market-data' }),
    sp('cc', 'ingest', 'candle.closed@consensus', 0.9, 19.1, { sampleRate: 1 }),
    sp('decide', 'cc', 'consensus.decide', 1, 18, A),
  ];

  it('cuts the candle.closed subtree off the tick chain, and each execution carries its own sampling rate', () => {
    const ex = assembleTrace(t, chains);
    const mt5 = ex.find((e) => e.chain === 'MT5_To_Database') as Execution;
    const dec = ex.find((e) => e.chain === 'AI_Decision') as Execution;
    expect(mt5).toMatchObject({ tenantId: null, durationMs: 5, sampleRate: 0.01, missing: [], spanCount: 4 });
    expect(mt5.steps.map((s) => [s.step, s.durationMs])).toEqual([
      ['receive', 5],
      ['validate', 0.2],
      ['aggregate', 0.5],
      ['store', 3.2],
    ]);
    expect(step(mt5, 'store').criticalMs).toBeCloseTo(3.2, 9);
    expect(dec).toMatchObject({ tenantId: 'alpha', sampleRate: 1, durationMs: 19.1 });
    expect(ex).toHaveLength(2);
  });

  it('assembles a decision whose tick was not sampled (parent span absent)', () => {
    const ex = assembleTrace(t.slice(4), chains);
    expect(ex.map((e) => e.chain)).toEqual(['AI_Decision']);
    expect(ex[0].tree.id).toBe('cc');
  });

  it('inherits the trace root\u2019s rate when the anchor carries none', () => {
    const [e] = assembleTrace([sp('gw', null, 'mt5-gateway.tick', 0, 2, { sampleRate: 0.1 }), sp('in', 'gw', 'market-data.ingest', 0.5, 1)], [compileChain(MT5_TO_DATABASE)]);
    expect(e.sampleRate).toBe(0.1);
    expect(e.tree.id).toBe('gw'); // topmost entry anchors
    expect(step(e, 'receive').spans).toBe(2);
  });
});

describe('assembleTrace: User_Workflow', () => {
  it('takes the tenant from below the request span and keeps nested AI work in the AI step', () => {
    const t: SpanRecord[] = [
      sp('http', null, 'POST /api/v1/decisions', 0, 10),
      sp('auth', 'http', 'users.authenticate', 0.5, 1),
      sp('dec', 'http', 'consensus.decide', 2, 6, A),
      sp('op', 'dec', 'agent-a.opine', 3, 2, A),
      sp('risk', 'dec', 'risk.evaluate', 5, 2, A),
    ];
    const ex = assembleTrace(t, chains);
    const uw = ex.find((e) => e.chain === 'User_Workflow') as Execution;
    expect(uw.tenantId).toBe('alpha');
    expect(uw.steps.map((s) => s.step)).toEqual(['authenticate', 'ai', 'response']);
    expect(step(uw, 'ai').spans).toBe(1);
    expect(step(uw, 'ai').ops.map((o) => o.op).sort()).toEqual(['agent-a.opine', 'consensus.decide', 'risk.evaluate']);
    expect(uw.missing).toEqual(['data']);
    expect(step(uw, 'response').criticalMs).toBeCloseTo(10 - 6 - 1, 9);
    // consensus.decide is an AI_Decision entry too: a decision made on request
    expect(ex.find((e) => e.chain === 'AI_Decision')).toMatchObject({ tenantId: 'alpha', durationMs: 6 });
  });

  it('needs its required request span', () => {
    expect(assembleTrace([sp('a', null, 'users.authenticate', 0, 1)], [compileChain(USER_WORKFLOW)])).toEqual([]);
  });
});

describe('critical path edge cases', () => {
  it('ends when the last step ends if that outlives the anchor; a child starting before its parent is clamped', () => {
    const t = [
      sp('cc', null, 'candle.closed@consensus', 10, 20),
      sp('d', 'cc', 'consensus.decide', 8, 30), // starts before its parent, ends after it
      sp('o1', 'd', 'agent-a.opine', 11, 5),
      sp('o2', 'd', 'agent-b.opine', 12, 10),
    ];
    const [e] = assembleTrace(t, ai);
    expect(e.durationMs).toBe(28);
    expect(e.criticalPath.map((p) => [p.op, p.ms])).toEqual([
      ['consensus.decide', 2],
      ['agent-b.opine', 10],
      ['consensus.decide', 16],
    ]);
  });

  it('keeps a child ending slightly after its parent (clock skew between nodes) on the path', () => {
    const t = [sp('d', null, 'consensus.decide', 0, 10), sp('o', 'd', 'agent-a.opine', 2, 8.5, { node: 'n2' })];
    const [e] = assembleTrace(t, ai);
    expect(e.criticalPath.map((p) => [p.op, p.ms])).toEqual([
      ['consensus.decide', 2],
      ['agent-a.opine', 8],
    ]);
  });

  it('does not put a sibling still running on the path: the later one started without it', () => {
    const t = [sp('d', null, 'consensus.decide', 0, 50), sp('x', 'd', 'agent-x.opine', 0, 30), sp('y', 'd', 'agent-y.opine', 20, 20)];
    const [e] = assembleTrace(t, ai);
    expect(e.criticalPath.map((p) => [p.op, p.ms])).toEqual([
      ['consensus.decide', 20],
      ['agent-y.opine', 20],
      ['consensus.decide', 10],
    ]);
  });

  it('follows work a candle handler handed off, and leaves a late agent the decision went on without off the path', () => {
    // consensus queued the decision and returned at once; agents, fusion and risk ran after
    const t = [
      sp('cc', null, 'candle.closed@consensus', 0, 0.1),
      sp('oa', 'cc', 'agent-a.opine', 1, 4),
      sp('late', 'cc', 'agent-slow.opine', 1, 39),
      sp('fu', 'cc', 'fusion', 5.5, 5.5, { service: 'consensus', tenantId: 'alpha' }),
      sp('dm', 'cc', 'decision.made@risk', 12, 3, A),
      sp('sub', 'dm', 'trading.submit', 12.5, 2, A),
    ];
    const [e] = assembleTrace(t, ai);
    expect(e).toMatchObject({ tenantId: 'alpha', durationMs: 15, missing: ['fill'] });
    expect(e.steps.map((s) => s.step)).toEqual(['candle', 'opine', 'fusion', 'risk', 'submit']);
    expect(e.criticalPath.map((p) => [p.op, p.ms])).toEqual([
      ['candle.closed@consensus', 1],
      ['agent-a.opine', 4],
      ['candle.closed@consensus', 0.5],
      ['fusion', 5.5],
      ['candle.closed@consensus', 1],
      ['decision.made@risk', 0.5],
      ['trading.submit', 2],
      ['decision.made@risk', 0.5],
    ]);
    const opine = step(e, 'opine');
    expect(opine.ops.find((o) => o.op === 'agent-slow.opine')).toEqual({ op: 'agent-slow.opine', durationMs: 39, criticalMs: 0, error: false });
    expect(step(e, 'fusion').criticalMs).toBe(5.5);
  });

  it('ignores duplicate span ids and self-parented spans', () => {
    const t = [sp('d', 'd', 'consensus.decide', 0, 5), sp('d', null, 'consensus.decide', 0, 99), sp('o', 'd', 'agent-a.opine', 1, 2)];
    const [e] = assembleTrace(t, ai);
    expect(e.durationMs).toBe(5);
  });
});
