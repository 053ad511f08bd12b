/**
 * FlowChain: each chain with per-step latency bars (p50 solid, p95 and p99
 * lighter, on one scale per chain), its share of the critical path, the
 * bottleneck highlighted; recent executions, and any execution's step tree
 * (`#/flowchain/<traceId>`) as a waterfall. Chain statistics follow
 * `flowchain.updated` over `/ws`.
 */
import type { AppContext, PageView } from '../context';
import type { Bottleneck, ChainItem, ChainStats, ExecutionItem, ExecutionSpan, Page } from '../types';
import { card, empty, fmtMs, fmtPct, fmtSpan, fmtTime, h, mount, unavailable } from '../ui';

export function flowchainPage(root: HTMLElement, ctx: AppContext): PageView {
  const { api, stream } = ctx;
  let chains: ChainItem[] = [];
  let bottlenecks: Bottleneck[] = [];
  let disposed = false;
  const unsubs: (() => void)[] = [];
  const chainsEl = h('div', { id: 'chains', class: 'grid' });
  const execEl = h('div', { id: 'execution' });
  mount(root, chainsEl, card('Execution', execEl));

  const chainCard = (c: ChainItem) => {
    const s: ChainStats | undefined = c.stats;
    const steps = s?.steps ?? [];
    const scale = Math.max(1e-9, ...steps.map((x) => x.p99));
    const bn = bottlenecks.filter((b) => b.chain === c.name);
    const bnSteps = new Set(bn.map((b) => b.step));
    const ex = s?.executions;
    const execList = h('div', { class: 'executions', 'data-chain': c.name }, h('small', null, 'loading executions…'));
    void loadExecutions(c.name, execList);
    return h(
      'section',
      { class: 'card chain', 'data-chain': c.name },
      h('h2', null, c.name.replace(/_/g, ' ')),
      c.description ? h('p', null, h('small', null, c.description)) : null,
      h('div', { class: 'meta' }, ex ? `${ex.sampled} executions in the last ${fmtSpan(s?.window?.ms)} · p50 ${fmtMs(ex.p50)} · p95 ${fmtMs(ex.p95)} · p99 ${fmtMs(ex.p99)} · errors ${fmtPct(ex.errorRate ?? 0)}` : 'no statistics yet'),
      bn.length
        ? h(
            'p',
            { class: 'bottleneck-note' },
            h('span', { class: 'badge warn' }, 'bottleneck'),
            ' ',
            bn.map((b) => (b.kind === 'regression' ? `${b.step}${b.op ? ` (${b.op})` : ''} is ${b.factor?.toFixed(1)}× slower than its baseline` : `${b.step}${b.op ? ` (${b.op})` : ''} holds ${fmtPct(b.share, 0)} of the critical path`)).join('; '),
          )
        : null,
      h('div', { class: 'legend' }, h('span', null, h('i', { style: 'background:var(--accent)' }), 'p50'), h('span', null, h('i', { style: 'background:#1f6feb99' }), 'p95'), h('span', null, h('i', { style: 'background:#1f6feb55' }), 'p99')),
      steps.length === 0
        ? empty('No executions seen in the window yet.')
        : h(
            'div',
            { class: 'bars steps' },
            steps.map((st) =>
              h(
                'div',
                { class: `bar-row${bnSteps.has(st.step) ? ' bottleneck' : ''}`, 'data-step': st.step },
                h('span', { class: 'label', title: st.step }, st.label ?? st.step),
                h(
                  'div',
                  { class: 'track' },
                  h('span', { class: 'p99', style: `left:0;width:${((st.p99 / scale) * 100).toFixed(2)}%` }),
                  h('span', { class: 'p95', style: `left:0;width:${((st.p95 / scale) * 100).toFixed(2)}%` }),
                  h('span', { class: 'p50', style: `left:0;width:${((st.p50 / scale) * 100).toFixed(2)}%` }),
                ),
                h('span', { class: 'val', title: 'p50 / p99 · share of the critical path' }, st.count > 0 ? `${fmtMs(st.p50)} / ${fmtMs(st.p99)} · ${fmtPct(st.criticalShare ?? 0, 0)}` : '–'),
              ),
            ),
          ),
      h('h3', null, 'Recent executions'),
      execList,
    );
  };

  const loadExecutions = async (chain: string, el: HTMLElement) => {
    try {
      const r = await api.get<Page<ExecutionItem>>('/flowchain/executions', { chain, limit: 8 });
      if (disposed) return;
      mount(
        el,
        r.items.length === 0
          ? h('small', null, 'none yet')
          : h(
              'ul',
              { class: 'exec-list' },
              r.items.map((e) => h('li', null, h('a', { href: `#/flowchain/${encodeURIComponent(e.traceId)}`, 'data-trace': e.traceId }, `${fmtTime(e.start)} · ${fmtMs(e.durationMs)}`), e.status === 'error' ? h('span', { class: 'badge err' }, 'error') : null)),
            ),
      );
    } catch (e) {
      mount(el, h('small', null, (e as Error).message));
    }
  };

  const renderChains = () => {
    if (chains.length === 0) return mount(chainsEl, card('FlowChain', empty('No chains are defined.')));
    mount(chainsEl, chains.map(chainCard));
  };

  const spanNode = (s: ExecutionSpan, total: number, depth: number): HTMLElement[] => {
    const left = total > 0 ? (s.offsetMs / total) * 100 : 0;
    const width = total > 0 ? Math.max(0.5, (s.durationMs / total) * 100) : 100;
    const row = h(
      'div',
      { class: `node${s.error ? ' err' : ''}`, 'data-op': s.op, title: s.error?.message ?? `${s.service ?? ''} ${s.step ? '· step ' + s.step : ''}` },
      h('span', { class: 'op', style: `padding-left:${depth * 14}px` }, `${s.step ? `[${s.step}] ` : ''}${s.op}`),
      h('div', { class: 'track' }, h('span', { style: `left:${left.toFixed(2)}%;width:${width.toFixed(2)}%` })),
      h('span', { class: 'dur' }, fmtMs(s.durationMs)),
    );
    return [row, ...(s.children ?? []).flatMap((c) => spanNode(c, total, depth + 1))];
  };

  const showExecution = async () => {
    const traceId = decodeURIComponent(location.hash.split('/')[2] ?? '');
    if (!traceId) return mount(execEl, empty('Choose an execution to see its step tree.'));
    try {
      const r = await api.get<{ traceId: string; items: ExecutionItem[] }>(`/flowchain/executions/${encodeURIComponent(traceId)}`);
      if (disposed) return;
      mount(
        execEl,
        r.items.map((e) =>
          h(
            'div',
            { class: 'execution', 'data-trace': e.traceId },
            h('p', null, `${e.chain} · ${fmtTime(e.start)} UTC · ${fmtMs(e.durationMs)} · ${e.status ?? ''}${e.missing?.length ? ` · missing steps: ${e.missing.join(', ')}` : ''}`),
            e.tree ? h('div', { class: 'tree' }, spanNode(e.tree, e.durationMs, 0)) : empty('No step tree stored for this execution.'),
          ),
        ),
      );
    } catch (e) {
      mount(execEl, empty(`Execution ${traceId}: ${(e as Error).message}`));
    }
  };

  const onUpdate = (data: unknown) => {
    const u = data as { chain: string; stats: ChainStats };
    const c = chains.find((x) => x.name === u.chain);
    if (!c) return;
    c.stats = u.stats;
    const el = chainsEl.querySelector(`[data-chain="${CSS.escape(u.chain)}"]`);
    el?.replaceWith(chainCard(c));
  };

  const onSubroute = () => void showExecution();
  window.addEventListener('plan2:subroute', onSubroute);

  void (async () => {
    if (!(await api.has('/flowchain/chains'))) {
      mount(chainsEl, card('FlowChain', unavailable('FlowChain')));
      mount(execEl, empty('Executions appear once FlowChain runs.'));
      root.dataset.state = 'unavailable';
      return;
    }
    try {
      const [cs, bs] = await Promise.all([api.get<Page<ChainItem>>('/flowchain/chains'), api.get<Page<Bottleneck>>('/flowchain/bottlenecks').catch(() => ({ items: [] as Bottleneck[], nextCursor: null }))]);
      if (disposed) return;
      chains = cs.items;
      bottlenecks = bs.items;
    } catch (e) {
      mount(chainsEl, card('FlowChain', empty(`FlowChain: ${(e as Error).message}`)));
      return;
    }
    renderChains();
    for (const c of chains) unsubs.push(stream.on(`flowchain:${c.name}`, onUpdate));
    await showExecution();
    root.dataset.state = 'ready';
  })();

  return {
    dispose() {
      disposed = true;
      window.removeEventListener('plan2:subroute', onSubroute);
      for (const u of unsubs) u();
    },
  };
}
