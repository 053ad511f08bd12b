/**
 * user-experience (monitoring, tenant-scoped, advisory only — never a veto,
 * never a direction): how the platform is treating this tenant.
 *
 * - API latency (p50/p95) and error rates of the tenant's own requests over the
 *   last `windowMs`, from tracing spans (lib/monitoring/requests.ts): server
 *   errors, client errors, and requests refused by the rate limiter (429);
 * - notification volume (`notification.sent`) and decision volume
 *   (`decision.made`, by the wall clock it was made at) over the last hour.
 *
 * Advice (advisory notes): `api_degraded` when p95 latency exceeds `slowMs` or
 * server errors exceed `maxServerErrorRate` (critical above 5×); `rate_limited`
 * when more than `maxRateLimitedShare` of requests were refused (back off or
 * move to a bigger plan); `throttle_notifications` when the tenant got more
 * than `maxNotificationsPerHour` notifications, or decisions arrive faster than
 * `maxDecisionsPerHour` (send a digest, or notify on changes of action only).
 * Windows run on the time of the newest observation (pure: no clock).
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { advisoryDraft, fmt } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { ApiRequest, quantileOf, RequestAttributor } from '../../../lib/monitoring/requests';
import { DomainError } from '../../../lib/errors';
import type { AdvisoryNote, OpinionQuery } from '../../../types/agents';

export interface UxParams {
  windowMs: number;
  minRequests: number;
  slowMs: number;
  maxServerErrorRate: number;
  maxRateLimitedShare: number;
  maxNotificationsPerHour: number;
  maxDecisionsPerHour: number;
}

export const UX_PARAMS: ParamSchema<UxParams> = {
  windowMs: { type: 'number', min: 10_000, max: 86_400_000, integer: true, doc: 'window of the API figures, ms' },
  minRequests: { type: 'number', min: 1, max: 1_000_000, integer: true, doc: 'requests in the window before latency and errors are judged' },
  slowMs: { type: 'number', min: 1, max: 600_000, doc: 'p95 latency above which the API counts as degraded for the tenant' },
  maxServerErrorRate: { type: 'number', min: 0, max: 1, doc: 'server-error share above which the API counts as degraded' },
  maxRateLimitedShare: { type: 'number', min: 0, max: 1, doc: 'share of requests refused by the rate limiter that triggers advice' },
  maxNotificationsPerHour: { type: 'number', min: 1, max: 1_000_000, integer: true, doc: 'notifications per hour above which a digest is advised' },
  maxDecisionsPerHour: { type: 'number', min: 1, max: 1_000_000, integer: true, doc: 'decisions per hour above which notifying only changes is advised' },
};

const DEFAULTS: UxParams = { windowMs: 300_000, minRequests: 20, slowMs: 1000, maxServerErrorRate: 0.05, maxRateLimitedShare: 0.1, maxNotificationsPerHour: 60, maxDecisionsPerHour: 120 };
const HOUR = 3_600_000;

interface TenantUx {
  requests: ApiRequest[];
  notifications: number[];
  decisions: number[];
}

export interface UxReport {
  tenantId: string;
  windowMs: number;
  requests: number;
  p50Ms: number | null;
  p95Ms: number | null;
  serverErrorRate: number | null;
  clientErrorRate: number | null;
  rateLimitedShare: number | null;
  notificationsLastHour: number;
  decisionsLastHour: number;
  advice: AdvisoryNote[];
}

/** How many of the sorted `list` are ≤ x (binary search). */
function countAtMost(list: readonly number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class UserExperienceAgent implements Agent {
  readonly id = 'user-experience';
  readonly group = 'monitoring' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['flowchain.spans', 'decision.made', 'notification.sent'] as const;
  private params: UxParams;
  private readonly tenantParams = new Map<string, UxParams>();
  private readonly attributor = new RequestAttributor();
  private readonly tenants = new Map<string, TenantUx>();
  private latestRequest = 0;
  private latestNotification = 0;
  private latestDecision = 0;

  constructor(params: Partial<UxParams> = {}) {
    this.params = applyParams(UX_PARAMS, DEFAULTS, params);
  }

  private state(t: string): TenantUx {
    let s = this.tenants.get(t);
    if (!s) this.tenants.set(t, (s = { requests: [], notifications: [], decisions: [] }));
    return s;
  }

  update(e: AgentEvent): void {
    if (e.type === 'flowchain.spans') {
      for (const r of this.attributor.take(e.batch)) {
        const s = this.state(r.tenantId);
        s.requests.push(r);
        if (r.start > this.latestRequest) this.latestRequest = r.start;
        if (s.requests.length > 20_000 || s.requests[0].start < this.latestRequest - 2 * this.params.windowMs) s.requests = s.requests.filter((x) => x.start >= this.latestRequest - this.params.windowMs);
      }
    } else if (e.type === 'notification.sent') {
      const n = e.notification;
      this.push(this.state(n.tenantId).notifications, n.time);
      if (n.time > this.latestNotification) this.latestNotification = n.time;
    } else if (e.type === 'decision.made') {
      const d = e.decision;
      const t = d.madeAt ?? d.asOf;
      this.push(this.state(d.tenantId).decisions, t);
      if (t > this.latestDecision) this.latestDecision = t;
    }
  }

  /** Keep `list` sorted (times arrive nearly in order) and trimmed to the last hour, at most 10,000. */
  private push(list: number[], t: number): void {
    let i = list.length;
    while (i > 0 && list[i - 1] > t) i--;
    if (i === list.length) list.push(t);
    else list.splice(i, 0, t);
    if (list.length > 10_000) list.shift(); // the oldest (V8 trims the array's front in place)
    if (list[0] < t - 2 * HOUR) list.splice(0, countAtMost(list, t - HOUR));
  }

  /** The tenant's figures and advice. */
  report(tenantId: string): UxReport {
    const p = this.tenantParams.get(tenantId) ?? this.params;
    const s = this.tenants.get(tenantId) ?? { requests: [], notifications: [], decisions: [] };
    const reqs = s.requests.filter((r) => r.start > this.latestRequest - p.windowMs);
    const n = reqs.length;
    const share = (st: ApiRequest['status']) => (n > 0 ? reqs.filter((r) => r.status === st).length / n : null);
    // latency of requests that were served (a 429 answers in microseconds and would flatter the figure)
    const served = reqs.filter((r) => r.status !== 'rate_limited').map((r) => r.durationMs);
    const r: UxReport = {
      tenantId,
      windowMs: p.windowMs,
      requests: n,
      p50Ms: quantileOf(served, 0.5),
      p95Ms: quantileOf(served, 0.95),
      serverErrorRate: share('server_error'),
      clientErrorRate: share('client_error'),
      rateLimitedShare: share('rate_limited'),
      notificationsLastHour: s.notifications.length - countAtMost(s.notifications, this.latestNotification - HOUR),
      decisionsLastHour: s.decisions.length - countAtMost(s.decisions, this.latestDecision - HOUR),
      advice: [],
    };
    if (n >= p.minRequests) {
      const slow = r.p95Ms !== null && r.p95Ms > p.slowMs;
      const failing = (r.serverErrorRate ?? 0) > p.maxServerErrorRate;
      if (slow || failing) {
        const parts = [slow ? `p95 latency ${fmt(r.p95Ms!, 3)} ms (limit ${p.slowMs} ms)` : '', failing ? `${fmt((r.serverErrorRate ?? 0) * 100, 3)}% server errors (limit ${fmt(p.maxServerErrorRate * 100, 3)}%)` : ''].filter(Boolean);
        r.advice.push({ code: 'api_degraded', level: (r.serverErrorRate ?? 0) > 5 * p.maxServerErrorRate ? 'critical' : 'warn', message: `service degraded for this tenant: ${parts.join(', ')} over ${n} requests` });
      }
      if ((r.rateLimitedShare ?? 0) > p.maxRateLimitedShare)
        r.advice.push({ code: 'rate_limited', level: 'warn', message: `${fmt((r.rateLimitedShare ?? 0) * 100, 3)}% of ${n} requests were refused by the rate limiter: back off, batch requests, or move to a plan with a higher rate` });
    }
    if (r.notificationsLastHour > p.maxNotificationsPerHour)
      r.advice.push({ code: 'throttle_notifications', level: 'warn', message: `${r.notificationsLastHour} notifications in the last hour (more than ${p.maxNotificationsPerHour}): send an hourly digest instead` });
    else if (r.decisionsLastHour > p.maxDecisionsPerHour)
      r.advice.push({ code: 'throttle_notifications', level: 'info', message: `${r.decisionsLastHour} decisions in the last hour: notify on changes of action only` });
    return r;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const r = this.report(q.tenantId ?? '');
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? this.latestDecision };
    const features: Record<string, number> = { requests: r.requests, notificationsLastHour: r.notificationsLastHour, decisionsLastHour: r.decisionsLastHour };
    if (r.p95Ms !== null) features.p95Ms = r.p95Ms;
    if (r.serverErrorRate !== null) features.serverErrorRate = r.serverErrorRate;
    if (r.rateLimitedShare !== null) features.rateLimitedShare = r.rateLimitedShare;
    const api =
      r.requests === 0
        ? 'no API requests from this tenant in the window'
        : `${r.requests} API requests in the last ${fmt(r.windowMs / 60_000, 3)} min, p50 ${fmt(r.p50Ms ?? 0, 3)} ms, p95 ${fmt(r.p95Ms ?? 0, 3)} ms, ${fmt((r.serverErrorRate ?? 0) * 100, 3)}% server errors, ${fmt((r.rateLimitedShare ?? 0) * 100, 3)}% rate-limited`;
    const advice = r.advice.length > 0 ? ` Advice: ${r.advice.map((a) => a.message).join('; ')}.` : ' Nothing to change.';
    return advisoryDraft(head, r.advice, `Experience of this tenant: ${api}; ${r.notificationsLastHour} notification(s) and ${r.decisionsLastHour} decision(s) in the last hour.${advice}`, { features });
  }

  /** Thresholds per tenant (the window is the same for all: it bounds what is kept). */
  configure(patch: Record<string, unknown>, tenantId?: string): Record<string, unknown> {
    if (!tenantId) {
      this.params = applyParams(UX_PARAMS, this.params, patch);
      return { ...this.params };
    }
    if ('windowMs' in patch) throw new DomainError('BAD_CONFIG', 'windowMs is set for all tenants, not per tenant', 422, { key: 'windowMs' });
    const next = applyParams(UX_PARAMS, this.tenantParams.get(tenantId) ?? this.params, patch);
    this.tenantParams.set(tenantId, next);
    return { ...next };
  }

  config(tenantId?: string): Record<string, unknown> {
    return { ...((tenantId && this.tenantParams.get(tenantId)) || this.params) };
  }

  snapshot(): Record<string, unknown> {
    return { tenants: this.tenants.size };
  }
}
