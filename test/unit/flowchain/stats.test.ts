import { assembleTrace } from '../../../flowchain/assemble';
import { ChainRegistry } from '../../../flowchain/chain';
import { BUILT_IN_CHAINS } from '../../../flowchain/definitions';
import { FlowChainEngine } from '../../../flowchain/engine';
import { FlowChainRuntime } from '../../../flowchain/runtime';
import { ALL_VIEW, cellsFromRows, chainStats, criticalPathBottleneck, FlowStats, regressions, SYSTEM_VIEW } from '../../../flowchain/stats';
import type { Execution, SpanRecord } from '../../../types/flowchain';
import { sp } from './spans';

const registry = new ChainRegistry(BUILT_IN_CHAINS);
const chains = registry.compiled();
const AI = registry.get('AI_Decision');

/** One decision trace: candle → decide(tenant) → agents (one of them `slowMs`) → risk (`riskMs`) → submit. */
function decisionTrace(traceId: string, tenantId: string, t0: number, slowMs: number, riskMs: number): SpanRecord[] {
  const o = { traceId, tenantId };
  const end = t0 + 1 + slowMs + 1 + riskMs + 1;
  return [
    sp(`${traceId}-cc`, null, 'candle.closed@consensus', t0, end - t0 + 1, { traceId }),
    sp(`${traceId}-d`, `${traceId}-cc`, 'consensus.decide', t0 + 0.5, end - t0, o),
    sp(`${traceId}-a`, `${traceId}-d`, 'agent-a.opine', t0 + 1, 1, o),
    sp(`${traceId}-s`, `${traceId}-d`, 'agent-slow.opine', t0 + 1, slowMs, o),
    sp(`${traceId}-r`, `${traceId}-d`, 'risk.evaluate', t0 + 2 + slowMs, riskMs, o),
  ];
}

function decide(traceId: string, tenantId: string, slowMs: number, riskMs: number): Execution {
  const [e] = assembleTrace(decisionTrace(traceId, tenantId, 0, slowMs, riskMs), chains);
  return e;
}

describe('FlowStats and chainStats', () => {
  it('counts per tenant view and all tenants, and names the slow agent as the critical-path bottleneck', () => {
    const st = new FlowStats({ bucketMs: 1000, retainMs: 60_000 });
    for (let i = 0; i < 10; i++) st.add(decide(`a${i}`, 'alpha', 30, 2), 1000 + i);
    for (let i = 0; i < 5; i++) st.add(decide(`b${i}`, 'beta', 1, 2), 1500 + i);
    const all = chainStats(AI, st.window('AI_Decision', ALL_VIEW, 0, 5000), ALL_VIEW, { from: 0, to: 5000 });
    const alpha = chainStats(AI, st.window('AI_Decision', 'alpha', 0, 5000), 'alpha', { from: 0, to: 5000 });
    const beta = chainStats(AI, st.window('AI_Decision', 'beta', 0, 5000), 'beta', { from: 0, to: 5000 });
    expect(all.executions.sampled).toBe(15);
    expect(alpha.executions.sampled).toBe(10);
    expect(beta.executions.sampled).toBe(5);
    expect(alpha).toMatchObject({ scope: 'tenant', tenantId: 'alpha' });
    expect(all).toMatchObject({ scope: 'all', tenantId: null });
    // alpha: duration 1+30+1+2+1 = 35 (+1 candle tail) = 36; opine holds 30 of it
    const opA = alpha.steps.find((s) => s.step === 'opine');
    expect(opA?.criticalShare).toBeCloseTo(30 / 36, 3);
    expect(opA?.ops[0].op).toBe('agent-slow.opine');
    expect(opA?.p99).toBeCloseTo(30, 0);
    // beta's view knows nothing of alpha's slow agent
    const opB = beta.steps.find((s) => s.step === 'opine');
    expect(opB?.p99).toBeLessThan(1.1);
    const bn = criticalPathBottleneck(alpha);
    expect(bn).toMatchObject({ kind: 'critical-path', step: 'opine', op: 'agent-slow.opine', tenantId: 'alpha' });
    expect(bn && bn.kind === 'critical-path' && bn.share).toBeCloseTo(0.8333, 3);
    expect(bn && bn.kind === 'critical-path' && bn.evidence.executions).toBe(10);
    expect(alpha.executions.sampledFraction).toBe(1);
    expect(alpha.steps.map((s) => s.step)).toEqual(['candle', 'opine', 'fusion', 'risk', 'submit', 'fill']);
    expect(alpha.steps.find((s) => s.step === 'submit')?.count).toBe(0);
    const shares = alpha.steps.reduce((a, s) => a + s.criticalShare, 0);
    expect(shares).toBeCloseTo(1, 3);
  });

  it('estimates totals from sampled tick executions', () => {
    const st = new FlowStats({ bucketMs: 1000, retainMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const [e] = assembleTrace([sp(`i${i}`, null, 'market-data.ingest', 0, 1, { traceId: `t${i}`, sampleRate: 0.01 })], chains);
      st.add(e, 10);
    }
    const s = chainStats(registry.get('MT5_To_Database'), st.window('MT5_To_Database', SYSTEM_VIEW, 0, 1000), SYSTEM_VIEW, { from: 0, to: 1000 });
    expect(s.scope).toBe('system');
    expect(s.executions).toMatchObject({ sampled: 3, estimatedTotal: 300, sampledFraction: 0.01 });
  });

  it('flags a step whose recent p99 exceeds its baseline by the factor, with the numbers', () => {
    const st = new FlowStats({ bucketMs: 1000, retainMs: 600_000 });
    for (let i = 0; i < 60; i++) st.add(decide(`b${i}`, 'alpha', 1, 2 + (i % 3) * 0.1), 10_000 + i * 100);
    for (let i = 0; i < 25; i++) st.add(decide(`r${i}`, 'alpha', 1, 10), 20_000 + i * 10);
    const recent = chainStats(AI, st.window('AI_Decision', 'alpha', 20_000, 21_000), 'alpha', { from: 20_000, to: 21_000 });
    const base = chainStats(AI, st.window('AI_Decision', 'alpha', 10_000, 20_000), 'alpha', { from: 10_000, to: 20_000 });
    const rs = regressions(recent, base, { slowFactor: 2, minRecent: 20, minBaseline: 50 });
    const risk = rs.find((r) => r.step === 'risk');
    expect(risk).toMatchObject({ kind: 'regression', op: 'risk.evaluate', factor: 2 });
    if (risk?.kind !== 'regression') throw new Error('no regression');
    expect(risk.evidence.recentP99).toBeCloseTo(10, 0);
    expect(risk.evidence.baselineP99).toBeCloseTo(2.2, 1);
    expect(risk.evidence.ratio).toBeGreaterThan(4);
    expect(risk.evidence).toMatchObject({ recentCount: 25, baselineCount: 60 });
    // the agents did not change
    expect(rs.find((r) => r.step === 'opine')).toBeUndefined();
    // too few recent samples: no verdict
    expect(regressions(recent, base, { slowFactor: 2, minRecent: 26, minBaseline: 50 })).toEqual([]);
  });

  it('hands closed buckets out once as rows that merge back to the same statistics', () => {
    const st = new FlowStats({ bucketMs: 1000, retainMs: 60_000 });
    for (let i = 0; i < 8; i++) st.add(decide(`a${i}`, i % 2 ? 'alpha' : 'beta', 5 + i, 2), 1000 + i * 200);
    expect(st.takeClosed(1999)).toEqual([]);
    const rows = st.takeClosed(3000);
    expect(rows.length).toBeGreaterThan(0);
    expect(st.takeClosed(3000)).toEqual([]);
    const fromRows = cellsFromRows(JSON.parse(JSON.stringify(rows.filter((r) => r.view === 'alpha'))));
    const live = chainStats(AI, st.window('AI_Decision', 'alpha', 0, 3000), 'alpha', { from: 0, to: 3000 });
    const stored = chainStats(AI, fromRows.get('AI_Decision') ?? new Map(), 'alpha', { from: 0, to: 3000 });
    expect(stored).toEqual(live);
    st.evict(3000 + 60_000);
    expect(st.window('AI_Decision', ALL_VIEW, 0, 10_000).size).toBe(0);
  });
});

describe('FlowChainEngine', () => {
  it('assembles a trace once it settles, whatever the arrival order; counts late and duplicate spans', () => {
    const eng = new FlowChainEngine({ settleMs: 500 });
    const spans = decisionTrace('T9', 'alpha', 0, 10, 2);
    eng.ingest(spans.slice(2), 1000);
    eng.ingest([...spans.slice(0, 2), spans[2]], 1300);
    expect(eng.tick(1700)).toEqual([]);
    const ex = eng.tick(1800);
    expect(ex).toHaveLength(1);
    expect(ex[0].spanCount).toBe(5);
    expect(eng.counters).toMatchObject({ spansIn: 6, duplicateSpans: 1, tracesAssembled: 1, executions: 1, bufferedTraces: 0, bufferedSpans: 0 });
    eng.ingest([sp('late', 'T9-d', 'risk.evaluate', 5, 1, { traceId: 'T9' })], 1900);
    expect(eng.counters.lateSpans).toBe(1);
    expect(eng.tick(5000)).toEqual([]);
  });

  it('shows a tenant only its own executions and statistics; operators see all', () => {
    const eng = new FlowChainEngine({ settleMs: 100 });
    eng.ingest(decisionTrace('A1', 'alpha', 0, 5, 1), 0);
    eng.ingest(decisionTrace('B1', 'beta', 0, 5, 1), 0);
    eng.tick(200);
    const alpha = { role: 'tenant' as const, tenantId: 'alpha' };
    expect(eng.recentExecutions(alpha).map((e) => e.traceId)).toEqual(['A1']);
    expect(eng.executionsOfTrace('B1', alpha)).toEqual([]);
    expect(eng.executionsOfTrace('B1', { role: 'admin' })).toHaveLength(1);
    expect(eng.recentExecutions({ role: 'admin' }).map((e) => e.traceId).sort()).toEqual(['A1', 'B1']);
    expect(eng.recentExecutions({ role: 'admin', tenantId: 'beta' }).map((e) => e.traceId)).toEqual(['B1']);
    expect(eng.chainStats('AI_Decision', alpha, 60_000, 300).executions.sampled).toBe(1);
    expect(eng.chainStats('AI_Decision', { role: 'admin' }, 60_000, 300).executions.sampled).toBe(2);
    const bn = eng.bottlenecks(alpha, 300, { windowMs: 60_000, recentMs: 60_000, baselineMs: 60_000 });
    expect(bn.every((b) => b.tenantId === 'alpha')).toBe(true);
    expect(bn.find((b) => b.chain === 'AI_Decision')).toMatchObject({ kind: 'critical-path', step: 'opine', op: 'agent-slow.opine' });
  });

  it('bounds buffered spans by assembling the oldest traces early', () => {
    const eng = new FlowChainEngine({ settleMs: 10_000, maxBufferedSpans: 10 });
    eng.ingest(decisionTrace('X1', 'alpha', 0, 5, 1), 0);
    eng.ingest(decisionTrace('X2', 'alpha', 0, 5, 1), 1);
    eng.ingest(decisionTrace('X3', 'alpha', 0, 5, 1), 2);
    const ex = eng.tick(3);
    expect(ex.map((e) => e.traceId)).toEqual(['X1']);
    expect(eng.counters.tracesForced).toBe(1);
    expect(eng.counters.bufferedSpans).toBe(10);
  });

  it('assembles in CPU-budgeted slices, at least one trace per slice', () => {
    const eng = new FlowChainEngine({ settleMs: 0 });
    for (let i = 0; i < 5; i++) eng.ingest(decisionTrace(`S${i}`, 'alpha', 0, 5, 1), 0);
    const first = eng.tick(1, 0);
    expect(first).toHaveLength(1);
    expect(eng.hasReady).toBe(true);
    let n = first.length;
    while (eng.hasReady) n += eng.tick(2, 0).length;
    expect(n).toBe(5);
    expect(eng.tick(3)).toEqual([]);
    expect(eng.hasReady).toBe(false);
  });

  it('keeps a bounded ring of recent executions, newest first, and forgets evicted traces', () => {
    const eng = new FlowChainEngine({ settleMs: 0, maxRecent: 3 });
    for (let i = 0; i < 5; i++) {
      eng.ingest(decisionTrace(`R${i}`, 'alpha', 0, 5, 1), i);
      eng.tick(i + 1);
    }
    const admin = { role: 'admin' as const };
    expect(eng.recentExecutions(admin).map((e) => e.traceId)).toEqual(['R4', 'R3', 'R2']);
    expect(eng.recentExecutions(admin, { limit: 2 }).map((e) => e.traceId)).toEqual(['R4', 'R3']);
    expect(eng.executionsOfTrace('R1', admin)).toEqual([]);
    expect(eng.executionsOfTrace('R2', admin)).toHaveLength(1);
  });
});

describe('FlowChainRuntime updates', () => {
  it('emits each changed chain view at most once per updateMs, keeping later changes pending', () => {
    const rt = new FlowChainRuntime({ settleMs: 0, updateMs: 1000 });
    rt.ingest(decisionTrace('U1', 'alpha', 0, 5, 1), 0);
    rt.tick(1);
    expect(rt.updates(10).map((u) => [u.chain, u.tenantId])).toEqual([
      ['AI_Decision', null],
      ['AI_Decision', 'alpha'],
    ]);
    rt.ingest(decisionTrace('U2', 'alpha', 0, 5, 1), 20);
    rt.tick(21);
    expect(rt.updates(500)).toEqual([]);
    const later = rt.updates(1010);
    expect(later).toHaveLength(2);
    expect(later[1].stats.executions.sampled).toBe(2);
    expect(rt.updates(5000)).toEqual([]);
  });
});

describe('FlowChainEngine holds traces for handed-off work', () => {
  it('keeps a candle trace open until the decision consensus queued arrives, then assembles it whole', () => {
    const eng = new FlowChainEngine({ settleMs: 100 });
    const o = { traceId: 'H1' };
    eng.ingest([sp('cc', null, 'candle.closed@consensus', 0, 0.1, o), sp('ag', null, 'candle.closed@agent-a', 0, 0.2, o)], 0);
    expect(eng.tick(200)).toEqual([]);
    expect(eng.counters).toMatchObject({ tracesHeld: 1, bufferedTraces: 1, tracesAssembled: 0 });
    expect(eng.tick(1000)).toEqual([]);
    // the queued decision runs 5 s later
    eng.ingest([sp('op', 'cc', 'agent-a.opine', 5000, 1, o), sp('dm', 'cc', 'decision.made@risk', 5002, 1, { ...o, tenantId: 'alpha' })], 5003);
    expect(eng.tick(5050)).toEqual([]);
    const [e] = eng.tick(5200);
    expect(e).toMatchObject({ chain: 'AI_Decision', tenantId: 'alpha', durationMs: 5003 });
    expect(e.steps.map((s) => s.step)).toEqual(['candle', 'opine', 'risk']);
    expect(eng.counters.lateSpans).toBe(0);
  });

  it('gives up after the chain\u2019s waitMs when no decision comes (nobody watches the symbol)', () => {
    const eng = new FlowChainEngine({ settleMs: 100 });
    eng.ingest([sp('cc', null, 'candle.closed@consensus', 0, 0.1, { traceId: 'H2' })], 0);
    expect(eng.tick(200)).toEqual([]);
    expect(eng.tick(19_999)).toEqual([]);
    expect(eng.counters.bufferedTraces).toBe(1);
    expect(eng.tick(20_000)).toEqual([]);
    expect(eng.counters).toMatchObject({ bufferedTraces: 0, tracesAssembled: 1 });
  });

  it('does not hold traces whose anchors all made executions', () => {
    const eng = new FlowChainEngine({ settleMs: 100 });
    eng.ingest(decisionTrace('H3', 'alpha', 0, 5, 1), 0);
    expect(eng.tick(200)).toHaveLength(1);
    expect(eng.counters.tracesHeld).toBe(0);
  });
});
