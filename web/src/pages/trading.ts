/**
 * Trading: the tenant's open positions, orders, fills and risk report (exposure,
 * VaR/ES, drawdown). Reloaded when `/ws` reports an order or position change
 * (coalesced), and every 10 s for the report's marks.
 */
import type { AppContext, PageView } from '../context';
import type { FillItem, Page } from '../types';
import { card, debounce, empty, fmtNum, fmtPct, fmtPrice, fmtTime, h, kvList, mount, table, unavailable } from '../ui';

interface PositionRow {
  id: string;
  symbol: string;
  side: string;
  volume: number;
  priceOpen: number;
  sl: number | null;
  tp: number | null;
  status?: string;
  realizedPnl?: number;
  openedAt: number;
}

interface OrderRow {
  id: string;
  symbol: string;
  side: string;
  type: string;
  volume: number;
  filledVolume?: number;
  price: number | null;
  avgPrice?: number | null;
  status: string;
  origin?: string;
  reason?: string | null;
  decisionId?: string | null;
  createdAt: number;
}

interface VarLevel {
  historical?: { var: number; es: number };
  parametric?: { var: number; es: number };
  monteCarlo?: { var: number; es: number };
}

interface RiskReport {
  asOf?: number;
  account?: { id: string; currency: string; mode?: string };
  equity?: number;
  balance?: number;
  unrealizedPnl?: number;
  exposure?: { gross: number; leverage: number | null; bySymbol: { symbol: string; netLots: number; notional: number; pendingLots?: number }[] };
  drawdown?: { current: number; dailyLoss: number; peakEquity: number; breaker: { at: number; reason: string } | null };
  var?: (Record<string, unknown> & { '95'?: VarLevel; '99'?: VarLevel; observations?: number; source?: string; note?: string }) | null;
  scenarios?: { name: string; pnl: number; pnlFraction: number }[];
  limits?: unknown;
}

/** Exposure, VaR/ES, drawdown and stress results; any other shape as a plain list. */
function riskReport(r: RiskReport): HTMLElement {
  if (typeof r?.equity !== 'number') return kvList(r);
  const ccy = r.account?.currency ?? '';
  const money = (x: unknown) => `${fmtNum(x, 2)} ${ccy}`;
  const dd = r.drawdown;
  const v = r.var;
  const levels = (['95', '99'] as const).filter((l) => v?.[l]);
  return h(
    'div',
    { class: 'risk' },
    h(
      'dl',
      { class: 'kv' },
      [
        ['Equity', money(r.equity)],
        ['Balance', money(r.balance)],
        ['Unrealised P&L', money(r.unrealizedPnl)],
        ['Gross exposure', money(r.exposure?.gross)],
        ['Leverage', r.exposure?.leverage == null ? '–' : `${fmtNum(r.exposure.leverage, 2)}×`],
        ['Drawdown', fmtPct(dd?.current, 2)],
        ['Daily loss', fmtPct(dd?.dailyLoss, 2)],
        ['Peak equity', money(dd?.peakEquity)],
        ['Drawdown breaker', dd?.breaker ? `tripped ${fmtTime(dd.breaker.at)}: ${dd.breaker.reason}` : 'not tripped'],
      ].flatMap(([k, x]) => [h('dt', null, k), h('dd', null, x)]),
    ),
    h('h3', null, 'Value at risk (1 day)'),
    levels.length === 0
      ? h('div', { class: 'meta' }, v?.note ?? 'No open exposure.')
      : table(levels.map((l) => [l, v![l]!] as const), [
          ['level', ([l]) => `${l}%`],
          ['historical VaR / ES', ([, x]) => `${fmtNum(x.historical?.var, 2)} / ${fmtNum(x.historical?.es, 2)}`],
          ['parametric VaR / ES', ([, x]) => `${fmtNum(x.parametric?.var, 2)} / ${fmtNum(x.parametric?.es, 2)}`],
          ['Monte-Carlo VaR / ES', ([, x]) => `${fmtNum(x.monteCarlo?.var, 2)} / ${fmtNum(x.monteCarlo?.es, 2)}`],
        ]),
    r.exposure?.bySymbol.length
      ? [
          h('h3', null, 'Exposure'),
          table(r.exposure.bySymbol, [
            ['symbol', (e) => e.symbol],
            ['net lots', (e) => fmtNum(e.netLots, 2)],
            ['notional', (e) => money(e.notional)],
            ['pending lots', (e) => fmtNum(e.pendingLots ?? 0, 2)],
          ]),
        ]
      : null,
    r.scenarios?.length
      ? [
          h('h3', null, 'Stress scenarios'),
          table(r.scenarios, [
            ['scenario', (x) => x.name],
            ['P&L', (x) => h('span', { class: x.pnl < 0 ? 'sell' : 'buy' }, money(x.pnl))],
            ['of equity', (x) => fmtPct(x.pnlFraction, 2)],
          ]),
        ]
      : null,
    r.limits ? h('details', null, h('summary', null, 'Limits'), kvList(r.limits)) : null,
  );
}

const SECTIONS = [
  { id: 'positions', title: 'Positions', path: '/positions' },
  { id: 'orders', title: 'Orders', path: '/orders' },
  { id: 'fills', title: 'Fills', path: '/fills' },
  { id: 'risk', title: 'Risk report', path: '/risk/report' },
] as const;

export function tradingPage(root: HTMLElement, ctx: AppContext): PageView {
  const { api, stream } = ctx;
  let disposed = false;
  const els = Object.fromEntries(SECTIONS.map((s) => [s.id, h('div', { id: `trading-${s.id}` })])) as unknown as Record<(typeof SECTIONS)[number]['id'], HTMLElement>;
  mount(root, h('div', { class: 'grid' }, card('Positions', els.positions), card('Risk report', els.risk)), card('Orders', els.orders), card('Fills', els.fills));

  const render = {
    positions: (r: Page<PositionRow>) => {
      const open = r.items.filter((p) => (p.status ?? 'open') === 'open');
      return open.length === 0
        ? empty('No open positions.')
        : table(open, [
            ['symbol', (p) => p.symbol],
            ['side', (p) => h('span', { class: p.side }, p.side)],
            ['volume', (p) => fmtNum(p.volume, 2)],
            ['open price', (p) => fmtPrice(p.priceOpen)],
            ['SL', (p) => fmtPrice(p.sl)],
            ['TP', (p) => fmtPrice(p.tp)],
            ['realised P&L', (p) => fmtNum(p.realizedPnl, 2)],
            ['opened (UTC)', (p) => fmtTime(p.openedAt)],
          ]);
    },
    orders: (r: Page<OrderRow>) =>
      r.items.length === 0
        ? empty('No orders yet.')
        : table(r.items, [
            ['created (UTC)', (o) => fmtTime(o.createdAt)],
            ['symbol', (o) => o.symbol],
            ['side', (o) => h('span', { class: o.side }, o.side)],
            ['type', (o) => o.type],
            ['volume', (o) => `${fmtNum(o.filledVolume ?? 0, 2)} / ${fmtNum(o.volume, 2)}`],
            ['price', (o) => fmtPrice(o.avgPrice ?? o.price)],
            ['status', (o) => h('span', { class: `badge ${o.status === 'filled' ? 'ok' : o.status === 'rejected' ? 'err' : ''}`, title: o.reason ?? '' }, o.status)],
            ['origin', (o) => (o.decisionId ? h('a', { href: `#/agents/${encodeURIComponent(o.decisionId)}` }, o.origin ?? 'decision') : (o.origin ?? ''))],
          ]),
    fills: (r: Page<FillItem>) =>
      r.items.length === 0
        ? empty('No fills yet.')
        : table(r.items, [
            ['time (UTC)', (f) => fmtTime(f.time)],
            ['symbol', (f) => f.symbol],
            ['side', (f) => h('span', { class: f.side }, f.side)],
            ['volume', (f) => fmtNum(f.volume, 2)],
            ['price', (f) => fmtPrice(f.price)],
            ['commission', (f) => fmtNum(f.commission, 2)],
            ['realised P&L', (f) => fmtNum(f.realizedPnl, 2)],
          ]),
    risk: (r: RiskReport) => riskReport(r),
  };

  const load = async (id: (typeof SECTIONS)[number]['id']) => {
    const s = SECTIONS.find((x) => x.id === id)!;
    if (!(await api.has(s.path))) {
      mount(els[id], unavailable(s.title));
      els[id].dataset.state = 'unavailable';
      return;
    }
    try {
      const data = await api.get<never>(s.path, id === 'risk' ? {} : { limit: 100 });
      if (disposed) return;
      mount(els[id], render[id](data));
      els[id].dataset.state = 'ready';
    } catch (e) {
      mount(els[id], empty(`${s.title}: ${(e as Error).message}`));
      els[id].dataset.state = 'error';
    }
  };

  const loadAll = () => Promise.all(SECTIONS.map((s) => load(s.id)));
  const reload = debounce(() => void loadAll(), 300);
  const unsubs = [stream.on('orders', reload), stream.on('positions', reload)];
  const timer = setInterval(() => void load('risk'), 10_000);
  void loadAll().then(() => {
    if (!disposed) root.dataset.state = 'ready';
  });

  return {
    dispose() {
      disposed = true;
      clearInterval(timer);
      for (const u of unsubs) u();
    },
  };
}
