import { formatBottlenecks, formatStepTable, table } from '../../../flowchain/format';
import type { ChainStats } from '../../../types/flowchain';

describe('FlowChain text output', () => {
  it('aligns tables', () => {
    expect(table([['a', 'bb', 'c'], ['xxx', '1', 'yy']])).toBe('a    bb  c\n---  --  --\nxxx   1  yy');
  });

  it('renders a step table with sampling, shares and the top operation', () => {
    const s: ChainStats = {
      chain: 'MT5_To_Database',
      tenantId: null,
      scope: 'all',
      window: { from: 0, to: 300_000, ms: 300_000 },
      executions: { sampled: 20, estimatedTotal: 2000, sampledFraction: 0.01, errors: 0, errorRate: 0, p50: 2.5, p95: 3, p99: 4.25 },
      steps: [
        { step: 'receive', label: 'r', count: 20, errors: 0, errorRate: 0, p50: 2.5, p95: 3, p99: 4.25, criticalShare: 0.1, criticalMsMean: 0.25, ops: [] },
        {
          step: 'store',
          label: 's',
          count: 20,
          errors: 1,
          errorRate: 0.05,
          p50: 2,
          p95: 2.5,
          p99: 3,
          criticalShare: 0.9,
          criticalMsMean: 2.2,
          ops: [{ op: 'store', count: 20, errors: 1, errorRate: 0.05, p50: 2, p95: 2.5, p99: 3, criticalShare: 0.9 }],
        },
        { step: 'validate', label: 'v', count: 0, errors: 0, errorRate: 0, p50: 0, p95: 0, p99: 0, criticalShare: 0, criticalMsMean: 0, ops: [] },
      ],
    };
    expect(formatStepTable(s)).toBe(
      [
        'MT5_To_Database — all tenants, last 5m: 20 executions traced (1.0 % sampled, ≈ 2000 in total), 0.0 % failed, p50 2.50 ms, p99 4.25 ms',
        'step      count    err  p50 ms  p95 ms  p99 ms  crit path  top operation',
        '--------  -----  -----  ------  ------  ------  ---------  ---------------------------',
        'receive      20  0.0 %    2.50    3.00    4.25     10.0 %',
        'store        20  5.0 %    2.00    2.50    3.00     90.0 %  store (90.0 %, p99 3.00 ms)',
        'validate      0      -       -       -       -          -',
      ].join('\n'),
    );
  });

  it('states each bottleneck with its evidence', () => {
    const text = formatBottlenecks([
      { kind: 'critical-path', chain: 'AI_Decision', tenantId: 'alpha', step: 'opine', op: 'agent-slow.opine', share: 0.8, opShare: 0.78, evidence: { executions: 12, criticalMsMean: 30.5, stepP99: 31, opP99: 31, windowMs: 300_000 } },
      { kind: 'regression', chain: 'AI_Decision', tenantId: null, step: 'risk', op: 'risk.evaluate', factor: 2, evidence: { recentP99: 10, baselineP99: 2.2, ratio: 4.55, recentCount: 25, baselineCount: 60, recentMs: 60_000, baselineMs: 900_000 } },
    ]);
    expect(text).toBe(
      'AI_Decision (tenant alpha): opine holds 80.0 % of the critical path; agent-slow.opine 78.0 % — 12 executions in 5m, 30.5 ms per execution on the path, step p99 31.0 ms, agent-slow.opine p99 31.0 ms\n' +
        'AI_Decision (all tenants): risk.evaluate slowed down ×4.55 (≥ ×2): p99 10.0 ms over the last 1m (25 executions) vs 2.20 ms over the 15m before (60)',
    );
    expect(formatBottlenecks([])).toMatch(/no bottleneck/);
  });
});
