/**
 * user-experience (monitoring, tenant-scoped, advisory only): how the platform
 * treats this tenant. From the API request spans (`flowchain.spans`, kind
 * http) of the last `windowMin` minutes: request count, p95 latency, error
 * rate; from `notification.sent`: notifications in the last hour. It flags
 * degraded service (p95 above `slowMs` or errors above `maxErrorRate`) and
 * advises throttling notifications above `maxNotificationsPerHour`. It never
 * has a direction and never vetoes (confidence 0): its findings travel in the
 * decision record as features and rationale.
 */
import type { Agent, AgentEvent, OpinionDraft, RequestObservation } from '../../../lib/agents/agent';
import { fmt, neutralDraft } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { quantile } from '../../../lib/agents/stats';
import type { OpinionQuery } from '../../../types/agents';

export interface UxParams {
  windowMin: number;
  slowMs: number;
  maxErrorRate: number;
  maxNotificationsPerHour: number;
}

export const UX_PARAMS: ParamSchema<UxParams> = {
  windowMin: { type: 'number', min: 1, max: 1440, doc: 'minutes of requests looked at' },
  slowMs: { type: 'number', min: 1, max: 600_000, doc: 'p95 latency above which service counts as degraded' },
  maxErrorRate: { type: 'number', min: 0, max: 1, doc: 'error share above which service counts as degraded' },
  maxNotificationsPerHour: { type: 'number', min: 1, max: 100_000, doc: 'notifications per hour above which throttling is advised' },
};

export interface UxReport {
  tenantId: string;
  requests: number;
  p95Ms: number | null;
  errorRate: number | null;
  notificationsLastHour: number;
  degraded: boolean;
  throttleNotifications: boolean;
}

export class UserExperienceAgent implements Agent {
  readonly id = 'user-experience';
  readonly group = 'monitoring' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['requests.observed', 'notification.sent', 'clock'] as const;
  private readonly requests = new Map<string, RequestObservation[]>();
  private readonly notifications = new Map<string, number[]>();
  private now = 0;
  private params: UxParams;

  constructor(params: Partial<UxParams> = {}) {
    this.params = applyParams(UX_PARAMS, { windowMin: 15, slowMs: 1000, maxErrorRate: 0.05, maxNotificationsPerHour: 60 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'clock') this.now = Math.max(this.now, e.now);
    else if (e.type === 'requests.observed') {
      for (const r of e.requests) {
        let l = this.requests.get(r.tenantId);
        if (!l) this.requests.set(r.tenantId, (l = []));
        l.push(r);
        if (r.time > this.now) this.now = r.time;
        if (l.length > 20_000) l.splice(0, 10_000);
      }
    } else if (e.type === 'notification.sent') {
      const t = e.time || this.now;
      let l = this.notifications.get(e.tenantId);
      if (!l) this.notifications.set(e.tenantId, (l = []));
      l.push(t);
      if (l.length > 10_000) l.splice(0, 5_000);
    }
  }

  report(tenantId: string, asOf = this.now): UxReport {
    const from = asOf - this.params.windowMin * 60_000;
    const rs = (this.requests.get(tenantId) ?? []).filter((r) => r.time > from && r.time <= asOf);
    const p95 = rs.length ? quantile(rs.map((r) => r.durationMs), 0.95) : null;
    const errorRate = rs.length ? rs.filter((r) => r.error).length / rs.length : null;
    const n = (this.notifications.get(tenantId) ?? []).filter((t) => t > asOf - 3_600_000 && t <= asOf).length;
    const degraded = (p95 !== null && p95 > this.params.slowMs) || (errorRate !== null && rs.length >= 10 && errorRate > this.params.maxErrorRate);
    return { tenantId, requests: rs.length, p95Ms: p95, errorRate, notificationsLastHour: n, degraded, throttleNotifications: n > this.params.maxNotificationsPerHour };
  }

  opine(q: OpinionQuery): OpinionDraft {
    const asOf = q.asOf ?? this.now;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    if (!q.tenantId) return neutralDraft(head, 'No tenant to look at.');
    // Requests are timed by the wall clock; the latest one seen stands for "now" when asOf is data time far behind it.
    const r = this.report(q.tenantId, Math.max(asOf, this.now));
    const parts = [
      r.requests ? `${r.requests} API requests in the last ${this.params.windowMin} min, p95 ${fmt(r.p95Ms!, 3)} ms, ${fmt(r.errorRate! * 100, 3)}% errors` : `no API requests in the last ${this.params.windowMin} min`,
      `${r.notificationsLastHour} notifications in the last hour`,
    ];
    const advice = [r.degraded ? 'service to this tenant is degraded' : '', r.throttleNotifications ? `throttle notifications (limit ${this.params.maxNotificationsPerHour}/h)` : ''].filter(Boolean);
    const features: Record<string, number> = { requests: r.requests, notificationsLastHour: r.notificationsLastHour, degraded: r.degraded ? 1 : 0, throttleNotifications: r.throttleNotifications ? 1 : 0 };
    if (r.p95Ms !== null) features.p95Ms = r.p95Ms;
    if (r.errorRate !== null) features.errorRate = r.errorRate;
    return { ...neutralDraft(head, `Advisory: ${parts.join('; ')}.${advice.length ? ' Advice: ' + advice.join('; ') + '.' : ' Nothing to flag.'}`), features };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(UX_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { tenants: this.requests.size };
  }
}
