/**
 * Plan: the tenant's tier, its limits, and every feature of the catalogue,
 * unlocked or locked (locked ones stay visible, with the tier that unlocks them),
 * next to a comparison of the tiers.
 */
import type { AppContext, PageView } from '../context';
import type { TenantInfo, TierSpec } from '../types';
import { card, empty, fmtNum, h, mount } from '../ui';

const FEATURE_NAMES: Record<string, string> = {
  paper_trading: 'Paper trading',
  live_trading: 'Live trading (MT5)',
  backtests: 'Backtests',
  optimization: 'Strategy optimisation',
  neural_ensemble: 'Neural-ensemble consensus',
  flowchain: 'FlowChain tracing',
  telegram: 'Telegram notifications',
  api_access: 'REST and WebSocket API',
  custom_agents_config: 'Custom agent configuration',
};

const name = (f: string) => FEATURE_NAMES[f] ?? f.replace(/_/g, ' ');

export function planPage(root: HTMLElement, ctx: AppContext): PageView {
  let disposed = false;

  const render = (t: TenantInfo) => {
    const plan = t.plan;
    const all = [...new Set(t.tiers.flatMap((x) => x.features))];
    const unlockTier = (f: string) => t.tiers.find((x) => x.features.includes(f))?.title ?? '';
    const limits: [string, (s: TierSpec) => string][] = [
      ['Price / month', (s) => (s.priceUsdMonthly === 0 ? 'free' : `$${s.priceUsdMonthly} · Rp ${fmtNum(s.priceIdrMonthly, 0)}`)],
      ['API requests / min', (s) => fmtNum(s.requestsPerMinute, 0)],
      ['Symbols', (s) => fmtNum(s.maxSymbols, 0)],
      ['Orders / day', (s) => fmtNum(s.maxOrdersPerDay, 0)],
      ['Backtests / day', (s) => fmtNum(s.maxBacktestsPerDay, 0)],
      ['MT5 accounts', (s) => fmtNum(s.maxMt5Accounts, 0)],
    ];
    mount(
      root,
      card(
        `${t.name} · ${plan.title} plan`,
        h('p', null, `Tenant ${t.id}. Your plan unlocks ${plan.features.length} of ${all.length} features.`),
        h(
          'ul',
          { class: 'features', id: 'features' },
          all.map((f) => {
            const on = plan.features.includes(f);
            return h('li', { class: on ? 'unlocked' : 'locked', 'data-feature': f, title: on ? 'included in your plan' : `needs the ${unlockTier(f)} plan` }, name(f), on ? null : h('small', null, ` · ${unlockTier(f)}`));
          }),
        ),
      ),
      card(
        'Tiers',
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'tiers' },
            h('thead', null, h('tr', null, h('th', null, ''), t.tiers.map((s) => h('th', null, s.title + (s.tier === plan.tier ? ' (yours)' : ''))))),
            h(
              'tbody',
              null,
              limits.map(([label, f]) => h('tr', null, h('th', null, label), t.tiers.map((s) => h('td', { class: s.tier === plan.tier ? 'current' : null }, f(s))))),
              all.map((feat) => h('tr', null, h('th', null, name(feat)), t.tiers.map((s) => h('td', null, s.features.includes(feat) ? '✓' : '–')))),
            ),
          ),
        ),
      ),
    );
    root.dataset.state = 'ready';
  };

  const load = () => {
    if (ctx.tenant) return render(ctx.tenant);
    ctx.api.get<TenantInfo>('/tenant').then(
      (t) => !disposed && render(t),
      (e: unknown) => !disposed && mount(root, card('Plan', empty(`Plan unavailable: ${(e as Error).message}`))),
    );
  };
  window.addEventListener('plan2:tenant', load);
  load();
  return {
    dispose() {
      disposed = true;
      window.removeEventListener('plan2:tenant', load);
    },
  };
}
