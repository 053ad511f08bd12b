/** Small DOM helpers and formatters shared by the pages (no framework). */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

/** `h('div', {class: 'x', onclick: fn}, 'text', child)`: an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
      else if (k === 'style') el.setAttribute('style', String(v));
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replace an element's children. */
export function mount(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export function fmtNum(x: unknown, digits = 2): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x === null || x === undefined ? '–' : String(x);
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtPrice(x: unknown, digits = 5): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–';
}

export function fmtPct(x: unknown, digits = 1): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : '–';
}

export function fmtMs(x: unknown): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  if (x < 1) return `${(x * 1000).toFixed(0)} µs`;
  if (x < 1000) return `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;
  return `${(x / 1000).toFixed(2)} s`;
}

/** A window length for people: `90 s`, `5 min`, `2 h`, `3 d`. */
export function fmtSpan(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** `2014-05-08 13:45:12` in UTC (the platform's clock). */
export function fmtTime(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A titled panel. */
export function card(title: string, ...body: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), ...body);
}

/** The placeholder for a feature whose service has not been deployed on this server yet. */
export function unavailable(what: string): HTMLElement {
  return h('div', { class: 'empty', 'data-state': 'unavailable' }, `${what} is not available on this server yet.`, h('br'), h('small', null, 'This view lights up as soon as the service is deployed.'));
}

export function empty(text: string): HTMLElement {
  return h('div', { class: 'empty', 'data-state': 'empty' }, text);
}

/** A generic table: columns as [header, cell(row)]. */
export function table<T>(rows: T[], cols: [string, (r: T) => Child][], attrs: Attrs = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      h('thead', null, h('tr', null, cols.map(([t]) => h('th', null, t)))),
      h(
        'tbody',
        null,
        rows.map((r) => h('tr', null, cols.map(([, f]) => h('td', null, f(r))))),
      ),
    ),
  );
}

/** A key/value list of an object's scalar fields, nested objects flattened with dots. */
export function kvList(obj: unknown, prefix = ''): HTMLElement {
  const rows: [string, string][] = [];
  const walk = (o: unknown, p: string, depth: number) => {
    if (o === null || typeof o !== 'object' || depth > 3) {
      rows.push([p, typeof o === 'number' ? fmtNum(o, Math.abs(o) < 10 ? 4 : 2) : String(o)]);
      return;
    }
    if (Array.isArray(o)) {
      rows.push([p, o.length === 0 ? '[]' : `${o.length} items`]);
      return;
    }
    for (const [k, v] of Object.entries(o)) walk(v, p ? `${p}.${k}` : k, depth + 1);
  };
  walk(obj, prefix, 0);
  return h('dl', { class: 'kv' }, rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

/** Coalesce calls into one per animation frame. */
export function perFrame(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** Coalesce calls: run once `ms` after the first of a burst. */
export function debounce(fn: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (t) return;
    t = setTimeout(() => {
      t = null;
      fn();
    }, ms);
  };
}
