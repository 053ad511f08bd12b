/** Plain-text rendering of FlowChain statistics for the CLI and the REPL (pure). */
import type { Bottleneck, ChainStats } from '../types/flowchain';

function ms(v: number): string {
  if (v === 0) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function pct(v: number): string {
  return (v * 100).toFixed(1) + ' %';
}

function human(msv: number): string {
  if (msv % 86_400_000 === 0) return `${msv / 86_400_000}d`;
  if (msv % 3_600_000 === 0) return `${msv / 3_600_000}h`;
  if (msv % 60_000 === 0) return `${msv / 60_000}m`;
  return `${Math.round(msv / 1000)}s`;
}

function who(tenantId: string | null, scope?: ChainStats['scope']): string {
  if (scope === 'system') return 'system work';
  return tenantId === null ? 'all tenants' : `tenant ${tenantId}`;
}

/** Fixed-width table; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 || c === r.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A chain's step table: count, errors, p50/p95/p99 (ms), critical-path share, and the operation holding most of it. */
export function formatStepTable(s: ChainStats): string {
  const e = s.executions;
  const head =
    `${s.chain} — ${who(s.tenantId, s.scope)}, last ${human(s.window.ms)}: ${e.sampled} executions traced` +
    (e.sampledFraction < 1 ? ` (${pct(e.sampledFraction)} sampled, ≈ ${Math.round(e.estimatedTotal)} in total)` : '') +
    `, ${pct(e.errorRate)} failed, p50 ${ms(e.p50)} ms, p99 ${ms(e.p99)} ms`;
  const rows = [['step', 'count', 'err', 'p50 ms', 'p95 ms', 'p99 ms', 'crit path', 'top operation']];
  for (const st of s.steps) {
    const top = st.ops[0];
    rows.push([
      st.step,
      String(st.count),
      st.count ? pct(st.errorRate) : '-',
      ms(st.p50),
      ms(st.p95),
      ms(st.p99),
      st.count ? pct(st.criticalShare) : '-',
      top ? `${top.op} (${pct(top.criticalShare)}, p99 ${ms(top.p99)} ms)` : '',
    ]);
  }
  return head + '\n' + table(rows);
}

/** One line per bottleneck, with its evidence. */
export function formatBottlenecks(items: readonly Bottleneck[]): string {
  if (items.length === 0) return 'no bottleneck: no executions in the window';
  return items
    .map((b) => {
      if (b.kind === 'critical-path') {
        const ev = b.evidence;
        return (
          `${b.chain} (${who(b.tenantId)}): ${b.step} holds ${pct(b.share)} of the critical path; ${b.op} ${pct(b.opShare)}` +
          ` — ${ev.executions} executions in ${human(ev.windowMs)}, ${ms(ev.criticalMsMean)} ms per execution on the path, step p99 ${ms(ev.stepP99)} ms, ${b.op} p99 ${ms(ev.opP99)} ms`
        );
      }
      const ev = b.evidence;
      return (
        `${b.chain} (${who(b.tenantId)}): ${b.op ?? b.step} slowed down ×${ev.ratio} (≥ ×${b.factor}): p99 ${ms(ev.recentP99)} ms over the last ${human(ev.recentMs)}` +
        ` (${ev.recentCount} executions) vs ${ms(ev.baselineP99)} ms over the ${human(ev.baselineMs)} before (${ev.baselineCount})`
      );
    })
    .join('\n');
}
