/**
 * Dashboard entry: sign-in with an API key (kept in localStorage; `#key=…` in
 * the URL signs in too), then the app shell with hash routes
 * `#/market`, `#/agents[/<decisionId>]`, `#/trading`, `#/flowchain[/<traceId>]`, `#/plan`.
 *
 * For a fast first chart the market data is requested before the bundle runs (./preload.ts).
 */
import { Api, ApiError } from './api';
import { type AppContext, loadPrefs, type PageFactory, type PageView, savePrefs } from './context';
import { agentsPage } from './pages/agents';
import { flowchainPage } from './pages/flowchain';
import { marketPage } from './pages/market';
import { planPage } from './pages/plan';
import { tradingPage } from './pages/trading';
import { Stream, type StreamState } from './stream';
import type { TenantInfo } from './types';
import { h, mount } from './ui';

const KEY = 'plan2.key';

const ROUTES: { id: string; title: string; page: PageFactory }[] = [
  { id: 'market', title: 'Market', page: marketPage },
  { id: 'agents', title: 'Agents', page: agentsPage },
  { id: 'trading', title: 'Trading', page: tradingPage },
  { id: 'flowchain', title: 'FlowChain', page: flowchainPage },
  { id: 'plan', title: 'Plan', page: planPage },
];

function keyFromHash(): string | null {
  const m = /(?:^#|[#&])key=([^&]+)/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, '', location.pathname + '#/market');
  return decodeURIComponent(m[1]);
}

function signIn(root: HTMLElement, message = ''): void {
  document.title = 'Plan2 · Sign in';
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'p2k_…', required: true, 'aria-label': 'API key' });
  const err = h('p', { class: 'error', id: 'signin-error', role: 'alert' }, message);
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        const api = new Api(key);
        mount(err, 'Checking…');
        api.get<TenantInfo>('/tenant').then(
          (t) => {
            localStorage.setItem(KEY, key);
            if (!location.hash.startsWith('#/')) location.hash = '#/market';
            start(root, key, t);
          },
          (e: unknown) => mount(err, e instanceof ApiError && e.status === 401 ? 'That key was not accepted.' : `Sign-in failed: ${(e as Error).message}`),
        );
      },
    },
    h('h1', null, 'Plan2'),
    h('p', null, 'Sign in with an API key. ', h('small', null, 'plan2 start prints the demo key; it is also in DATA_DIR/demo.json.')),
    input,
    h('button', { type: 'submit', id: 'signin' }, 'Sign in'),
    err,
  );
  mount(root, form);
  input.focus();
}

function start(root: HTMLElement, key: string, tenant: TenantInfo | null): void {
  const api = new Api(key);
  const prefs = loadPrefs();
  const status = h('span', { class: 'ws-state', id: 'ws-state', title: 'Live connection' }, '');
  const onState = (s: StreamState) => {
    status.dataset.state = s;
    status.textContent = s === 'open' ? 'live' : s;
    if (s === 'unauthorized') signOut('The server refused the key; sign in again.');
  };
  const stream = new Stream(key, onState);
  const pre = window.__plan2Preload;
  const ctx: AppContext = { api, stream, tenant, prefs, savePrefs: () => savePrefs(prefs), preload: pre && pre.key === key ? pre.preload : null };
  window.__plan2Preload = undefined;
  let view: PageView | null = null;
  let current = '';

  const who = h('span', { class: 'who', id: 'who' }, tenant ? `${tenant.name} · ${tenant.plan.title}` : '');
  const nav = h(
    'nav',
    { class: 'nav' },
    ROUTES.map((r) => h('a', { href: `#/${r.id}`, 'data-route': r.id }, r.title)),
  );
  const main = h('main', { id: 'page' });
  const signOut = (msg = '') => {
    localStorage.removeItem(KEY);
    view?.dispose();
    stream.stop();
    window.removeEventListener('hashchange', route);
    signIn(root, msg);
  };
  mount(
    root,
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/market' }, 'Plan2'), nav, h('div', { class: 'right' }, who, status, h('button', { type: 'button', class: 'link', id: 'signout', onclick: () => signOut() }, 'Sign out'))),
    main,
  );

  function route(): void {
    const [id = 'market'] = location.hash.replace(/^#\/?/, '').split('/');
    const r = ROUTES.find((x) => x.id === id) ?? ROUTES[0];
    if (r.id === current && r.id !== 'agents' && r.id !== 'flowchain') return;
    if (r.id === current) {
      // Sub-routes (a decision, an execution) are handled by the page itself.
      window.dispatchEvent(new CustomEvent('plan2:subroute'));
      return;
    }
    current = r.id;
    view?.dispose();
    for (const a of nav.querySelectorAll('a')) a.classList.toggle('on', a.dataset.route === r.id);
    document.title = `Plan2 · ${r.title}`;
    main.dataset.page = r.id;
    delete main.dataset.state;
    main.replaceChildren();
    view = r.page(main, ctx);
  }
  window.addEventListener('hashchange', route);
  route();
  // The first chart comes before the live connection (the page catches up from the next tick).
  if (current === 'market') {
    const go = () => {
      window.removeEventListener('plan2:chart-rendered', go);
      clearTimeout(t);
      if (localStorage.getItem(KEY) === key) stream.start();
    };
    const t = setTimeout(go, 1500);
    window.addEventListener('plan2:chart-rendered', go);
  } else stream.start();
  if (!tenant) {
    // After the first chart's data: the header can wait, the chart should not.
    const after = ctx.preload ? ctx.preload.candles.catch(() => null) : Promise.resolve(null);
    void after.then(() => api.get<TenantInfo>('/tenant')).then(
      (t) => {
        ctx.tenant = t;
        who.textContent = `${t.name} · ${t.plan.title}`;
        window.dispatchEvent(new CustomEvent('plan2:tenant'));
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 401) signOut('The server refused the key; sign in again.');
      },
    );
  }
}

const root = document.getElementById('app')!;
const fromHash = keyFromHash();
if (fromHash) localStorage.setItem(KEY, fromHash);
const key = localStorage.getItem(KEY);
if (key) start(root, key, null);
else signIn(root);
