/**
 * Agents: every agent the consensus knows, grouped research / decision /
 * learning / monitoring, with status, latency, reliability and last opinion
 * (polled); the tenant's decisions as they are made (`/ws` decisions:<symbol>);
 * and for a chosen decision (`#/agents/<id>`) the vote breakdown: each opinion's
 * probabilities, weight and share of the weighted vote, the three fusion
 * results, vetoes and abstentions.
 */
import type { AppContext, PageView } from '../context';
import type { AgentItem, Decision, DecisionSummary, FusionResult, Opinion, Page, Probabilities, SymbolItem } from '../types';
import { card, empty, fmtMs, fmtNum, fmtPct, fmtTime, h, mount, unavailable } from '../ui';

const GROUPS = ['research', 'decision', 'learning', 'monitoring'] as const;
const MAX_ROWS = 100;

/** A probability triple as one stacked bar (buy | hold | sell). */
export function stack(p: Probabilities | undefined): HTMLElement {
  const q = p ?? { buy: 0, hold: 0, sell: 0 };
  const title = `buy ${fmtPct(q.buy)} · hold ${fmtPct(q.hold)} · sell ${fmtPct(q.sell)}`;
  return h(
    'div',
    { class: 'stack', title, role: 'img', 'aria-label': title },
    h('span', { class: 'buy', style: `width:${(q.buy * 100).toFixed(2)}%` }),
    h('span', { class: 'hold', style: `width:${(q.hold * 100).toFixed(2)}%` }),
    h('span', { class: 'sell', style: `width:${(q.sell * 100).toFixed(2)}%` }),
  );
}

const legend = () =>
  h('div', { class: 'legend' }, h('span', null, h('i', { style: 'background:var(--up)' }), 'buy'), h('span', null, h('i', { style: 'background:#484f58' }), 'hold'), h('span', null, h('i', { style: 'background:var(--down)' }), 'sell'));

function actionOf(p: Probabilities): 'buy' | 'hold' | 'sell' {
  return p.buy >= p.hold && p.buy >= p.sell ? 'buy' : p.sell >= p.hold ? 'sell' : 'hold';
}

export function agentsPage(root: HTMLElement, ctx: AppContext): PageView {
  const { api, stream } = ctx;
  let agents: AgentItem[] = [];
  let decisions: DecisionSummary[] = [];
  let selected: Decision | null = null;
  let disposed = false;
  const unsubs: (() => void)[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];

  const agentsEl = h('div', { id: 'agents' });
  const decisionsEl = h('div', { id: 'decisions' });
  const breakdownEl = h('div', { id: 'vote-breakdown' });
  mount(root, card('Agents', agentsEl), h('div', { class: 'grid' }, card('Decisions', decisionsEl), card('Vote breakdown', breakdownEl)));

  const renderAgents = () => {
    if (agents.length === 0) return mount(agentsEl, empty('No agents are registered yet.'));
    mount(
      agentsEl,
      h(
        'div',
        { class: 'groups' },
        GROUPS.map((g) => {
          const list = agents.filter((a) => a.group === g);
          return h(
            'div',
            { class: 'group', 'data-group': g },
            h('h3', null, `${g} (${list.length})`),
            list.length === 0 ? h('div', { class: 'agent meta' }, 'none deployed yet') : list.map(agentRow),
          );
        }),
      ),
    );
  };

  const agentRow = (a: AgentItem) => {
    const st = a.status;
    const state = a.error ? ['err', 'down'] : a.enabled === false ? ['warn', 'disabled'] : st ? ['ok', 'up'] : ['', 'unknown'];
    const op = st?.lastOpinion;
    const rel = a.reliability;
    return h(
      'div',
      { class: 'agent', 'data-agent': a.id },
      h('div', { class: 'name' }, h('span', null, a.id), h('span', { class: `badge ${state[0]}`, title: a.error ?? '' }, state[1])),
      h(
        'div',
        { class: 'meta' },
        `latency p50 ${fmtMs(st?.latencyMs?.p50 ?? null)} · p99 ${fmtMs(st?.latencyMs?.p99 ?? null)} · ${st?.opinions ?? 0} opinions`,
        h('br'),
        `reliability ×${fmtNum(rel?.multiplier, 2)} · P(better than chance) ${fmtPct(rel?.pBetterThanChance, 0)} · weight ${fmtNum(a.weight ?? 1, 2)}${a.scope ? ' · ' + a.scope : ''}`,
      ),
      op
        ? h('div', { class: 'op', title: op.rationale }, h('span', { class: `act ${actionOf(op.p)}` }, actionOf(op.p)), ` ${op.symbol} ${op.tf} signal ${fmtNum(op.signal, 2)} conf ${fmtPct(op.confidence, 0)}${op.veto ? ' · VETO ' + op.veto.reason : ''} — ${op.rationale}`)
        : h('div', { class: 'op meta' }, 'no opinion yet'),
    );
  };

  const renderDecisions = () => {
    if (decisions.length === 0) return mount(decisionsEl, empty('No decisions yet. They appear here as candles close on your watchlist.'));
    const sel = selected?.id;
    mount(
      decisionsEl,
      h(
        'div',
        { class: 'table-wrap scroll' },
        h(
          'table',
          { class: 'decisions' },
          h('thead', null, h('tr', null, ['time (UTC)', 'symbol', 'action', 'confidence', 'method', 'opinions', 'vetoes'].map((t) => h('th', null, t)))),
          h(
            'tbody',
            null,
            decisions.map((d) =>
              h(
                'tr',
                { 'data-id': d.id, class: d.id === sel ? 'sel' : null, onclick: () => (location.hash = `#/agents/${encodeURIComponent(d.id)}`) },
                h('td', null, fmtTime(d.asOf)),
                h('td', null, `${d.symbol} ${d.tf}`),
                h('td', null, h('span', { class: `act ${d.action}` }, d.action)),
                h('td', null, fmtPct(d.confidence)),
                h('td', null, d.method),
                h('td', null, String(d.opinionCount ?? '–')),
                h('td', null, String(d.vetoes?.length ?? 0)),
              ),
            ),
          ),
        ),
      ),
    );
  };

  /** Effective weight of an agent's vote: its configured weight × learned reliability (as the weighted fusion uses them). */
  const weightOf = (agent: string) => {
    const a = agents.find((x) => x.id === agent);
    return (a?.weight ?? 1) * (a?.reliability?.multiplier ?? 1);
  };

  const renderBreakdown = () => {
    const d = selected;
    if (!d) return mount(breakdownEl, empty('Select a decision to see how each agent voted.'));
    const ops: Opinion[] = d.opinions ?? [];
    const wc = ops.map((o) => weightOf(o.agent) * o.confidence);
    const total = wc.reduce((a, b) => a + b, 0) || 1;
    const fusions: FusionResult[] = d.fusions ?? [];
    mount(
      breakdownEl,
      h('p', null, h('span', { class: `act ${d.action}` }, d.action.toUpperCase()), ` ${d.symbol} ${d.tf} · ${fmtTime(d.asOf)} UTC · confidence ${fmtPct(d.confidence)} · acting method ${d.method} · ${fmtMs(d.latencyMs)}`),
      legend(),
      h('h3', null, `Opinions (${ops.length})`),
      ops.length === 0
        ? empty('No agent opined in time.')
        : h(
            'div',
            { class: 'bars opinions' },
            ops.map((o, i) =>
              h(
                'div',
                { class: `bar-row${o.veto ? ' vetoed' : ''}`, 'data-agent': o.agent, title: o.rationale },
                h('span', { class: 'label' }, o.agent),
                stack(o.p),
                h('span', { class: 'val' }, `w ${fmtNum(weightOf(o.agent), 2)} × c ${fmtNum(o.confidence, 2)} = ${fmtPct(wc[i] / total, 0)}`),
              ),
            ),
          ),
      h('h3', null, 'Fusions'),
      h(
        'div',
        { class: 'bars fusions' },
        fusions.map((f) =>
          h(
            'div',
            { class: `bar-row fusion${f.method === d.method ? ' acting' : ''}`, 'data-method': f.method, title: f.note ?? '' },
            h('span', { class: 'label' }, `${f.method}${f.fallback ? ` → ${f.fallback}` : ''}`),
            stack(f.p),
            h('span', { class: 'val' }, h('span', { class: `act ${f.action}` }, f.action), ` ${fmtPct(f.confidence)}`),
          ),
        ),
      ),
      h('h3', null, `Vetoes (${d.vetoes?.length ?? 0})`),
      d.vetoes?.length ? h('ul', { class: 'vetoes' }, d.vetoes.map((v) => h('li', null, h('b', null, v.agent), `: ${v.reason}`))) : h('div', { class: 'meta' }, 'none'),
      h('h3', null, `Abstentions (${d.abstained?.length ?? 0})`),
      d.abstained?.length ? h('ul', { class: 'abstained' }, d.abstained.map((v) => h('li', null, h('b', null, v.agent), `: ${v.reason}`))) : h('div', { class: 'meta' }, 'none'),
    );
  };

  const selectFromHash = async () => {
    const id = decodeURIComponent(location.hash.split('/')[2] ?? '');
    if (!id) {
      selected = null;
      renderBreakdown();
      renderDecisions();
      return;
    }
    if (selected?.id === id) return;
    try {
      selected = await api.get<Decision>(`/decisions/${encodeURIComponent(id)}`);
    } catch (e) {
      selected = null;
      mount(breakdownEl, empty(`Decision ${id}: ${(e as Error).message}`));
      return;
    }
    if (disposed) return;
    renderBreakdown();
    renderDecisions();
  };

  const onDecision = (data: unknown) => {
    const d = data as Decision;
    decisions.unshift({ ...d, opinionCount: d.opinions?.length ?? 0 });
    if (decisions.length > MAX_ROWS) decisions.length = MAX_ROWS;
    renderDecisions();
  };

  const loadAgents = async () => {
    try {
      const r = await api.get<{ items: AgentItem[] }>('/agents');
      if (disposed) return;
      agents = r.items;
      renderAgents();
      if (selected) renderBreakdown();
    } catch (e) {
      mount(agentsEl, empty(`Agents unavailable: ${(e as Error).message}`));
    }
  };

  const onSubroute = () => void selectFromHash();
  window.addEventListener('plan2:subroute', onSubroute);

  void (async () => {
    if (!(await api.has('/agents'))) {
      mount(agentsEl, unavailable('Consensus'));
      mount(decisionsEl, unavailable('Decisions'));
      mount(breakdownEl, empty('Vote breakdowns appear once decisions are made.'));
      root.dataset.state = 'unavailable';
      return;
    }
    await loadAgents();
    timers.push(setInterval(() => void loadAgents(), 5000));
    const [ds, syms] = await Promise.all([api.get<Page<DecisionSummary>>('/decisions', { limit: MAX_ROWS }).catch(() => null), api.get<Page<SymbolItem>>('/symbols').catch(() => null)]);
    if (disposed) return;
    decisions = ds?.items ?? [];
    for (const s of syms?.items ?? []) unsubs.push(stream.on(`decisions:${s.symbol}`, onDecision));
    renderDecisions();
    await selectFromHash();
    root.dataset.state = 'ready';
  })();

  return {
    dispose() {
      disposed = true;
      window.removeEventListener('plan2:subroute', onSubroute);
      for (const u of unsubs) u();
      for (const t of timers) clearInterval(t);
    },
  };
}
