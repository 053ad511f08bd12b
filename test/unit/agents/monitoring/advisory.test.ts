import { BusinessIntelligenceAgent } from '../../../../agents/monitoring/business-intelligence/business-intelligence.agent';
import { UserExperienceAgent } from '../../../../agents/monitoring/user-experience/user-experience.agent';
import { toAgentEvent } from '../../../../mixins/agent.mixin';
import { checkOpinion } from '../../../../lib/agents/opinion';
import type { AgentEvent } from '../../../../lib/agents/agent';
import type { Decision } from '../../../../types/agents';

const T = Date.UTC(2026, 0, 5, 12, 0);
const span = (tenantId: string, ms: number, i: number, error = false) => ({ id: `s${i}`, traceId: `t${i}`, parentId: null, kind: 'http', name: 'GET /api/v1/decisions', op: 'GET /api/v1/decisions', service: 'api', node: 'n', tenantId, start: T - i * 1000, duration: ms, error: error ? { name: 'E', message: 'x' } : null });

describe('user-experience agent (advisory)', () => {
  it('flags degraded service and advises throttling notifications, per tenant, without a view', () => {
    const a = new UserExperienceAgent();
    const spans = [...Array.from({ length: 50 }, (_, i) => span('slow', 1500 + i, i, i % 5 === 0)), ...Array.from({ length: 50 }, (_, i) => span('fast', 40 + i, i))];
    a.update(toAgentEvent('requests.observed', { node: 'n', spans }) as AgentEvent);
    for (let i = 0; i < 80; i++) a.update({ type: 'notification.sent', tenantId: 'fast', time: T - i * 30_000 });
    const slow = a.opine({ symbol: 'EURUSD', tf: 'M1', asOf: T, tenantId: 'slow' });
    const fast = a.opine({ symbol: 'EURUSD', tf: 'M1', asOf: T, tenantId: 'fast' });
    expect(checkOpinion(slow)).toEqual([]);
    expect(slow.confidence).toBe(0);
    expect(slow.veto).toBeUndefined();
    expect(slow.features).toMatchObject({ requests: 50, degraded: 1, errorRate: 0.2 });
    expect(slow.rationale).toMatch(/service to this tenant is degraded/);
    expect(fast.features).toMatchObject({ degraded: 0, throttleNotifications: 1, notificationsLastHour: 80 });
    expect(fast.rationale).toMatch(/throttle notifications \(limit 60\/h\)/);
  });
});

describe('business-intelligence agent (advisory)', () => {
  it('counts active tenants and their usage against plan allowances', () => {
    const a = new BusinessIntelligenceAgent();
    for (let i = 0; i < 30; i++) a.update({ type: 'decision.made', decision: { tenantId: 'busy', asOf: T - i * 60_000 } as unknown as Decision });
    for (let i = 0; i < 60; i++) a.update({ type: 'order.updated', order: { tenantId: 'busy', symbol: 'EURUSD', side: 'buy', volume: 0.1, status: 'accepted', time: T - i * 1000 } });
    a.update({ type: 'decision.made', decision: { tenantId: 'quiet', asOf: T - 3_600_000 } as unknown as Decision });
    a.update({ type: 'decision.made', decision: { tenantId: 'gone', asOf: T - 3 * 86_400_000 } as unknown as Decision });
    const r = a.report(T);
    expect(r.map((u) => u.tenantId)).toEqual(['busy', 'quiet']);
    expect(r[0]).toMatchObject({ decisions: 30, orders: 60, smallestTier: 'pro' });
    expect(r[1].smallestTier).toBe('free');
    const o = a.opine({ symbol: 'EURUSD', tf: 'M1', asOf: T });
    expect(o.confidence).toBe(0);
    expect(o.rationale).toMatch(/^Advisory: 2 active tenant\(s\) in the last 24 h; today 31 decisions, 60 orders, 0 API requests\. Most active: busy 30 decisions, 60 orders \(fits pro\)/);
  });
});
