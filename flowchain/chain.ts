/**
 * The chain model: a chain definition is a named, ordered set of steps, each
 * matched by span properties (kind, service, action, event, operation, name,
 * tags). Definitions are plain JSON (globs, not RegExps) so they can be added at
 * run time over REST and stored; `compileChain` turns one into fast matchers.
 *
 * How an execution is cut out of a trace (flowchain/assemble.ts):
 * - it is anchored at the topmost span matching an `entry` step (steps flagged
 *   `entry`, else the first step); the anchor's subtree is the execution;
 * - spans matching a `boundary` are cut off with their subtrees (they start
 *   another chain: MT5_To_Database ends where `candle.closed` begins AI_Decision);
 * - each span belongs to the first step (in definition order) it matches, or
 *   inherits its nearest ancestor's step; under a `sticky` step everything is that step;
 * - an execution lacking a `required` step, or holding fewer than `minSteps`
 *   distinct steps, is not one of this chain (the many `candle.closed` listeners
 *   that only update agent state are not decisions);
 * - `fanout` steps run several spans in parallel (agents' `opine`): a failed
 *   span there fails the execution only if the error propagated to the anchor.
 */
import { DomainError, NotFoundError } from '../lib/errors';
import type { SpanRecord } from '../types/flowchain';

export type SpanKind = SpanRecord['kind'];

/** All given criteria must hold; string criteria are globs (`*` any run of characters, `?` one). */
export interface SpanMatcher {
  kind?: SpanKind | SpanKind[];
  service?: string;
  action?: string;
  event?: string;
  op?: string;
  name?: string;
  /** Tag equality (flattened keys, e.g. `agent.group`); string values are globs. */
  tags?: Record<string, string | number | boolean>;
}

export interface StepDefinition {
  /** `[a-z][a-z0-9-]*`, unique in the chain. */
  id: string;
  label: string;
  /** Alternatives: a span matching any of them belongs to the step. */
  match: SpanMatcher[];
  entry?: boolean;
  required?: boolean;
  fanout?: boolean;
  sticky?: boolean;
}

export interface ChainDefinition {
  /** `[A-Za-z][A-Za-z0-9_]*` (`AI_Decision`). */
  name: string;
  description: string;
  steps: StepDefinition[];
  boundaries?: SpanMatcher[];
  /** An execution needs at least this many distinct steps (default 1). */
  minSteps?: number;
  /**
   * How long (ms) a trace stays open while one of its anchors does not yet make
   * an execution (too few or required steps missing): for work an anchor hands
   * to a queue, which may run seconds later (consensus decides candle after
   * candle). Default 0: a trace is assembled once quiet for the settle time.
   */
  waitMs?: number;
  /** Set by the registry for the definitions that ship with Plan2. */
  builtIn?: boolean;
}

export const MAX_STEPS = 32;
export const MAX_MATCHERS = 16;

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const STEP_RE = /^[a-z][a-z0-9-]{0,47}$/;
const KINDS: SpanKind[] = ['action', 'event', 'http', 'custom'];

/** Compile a glob (`*`, `?`) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

type Predicate = (s: SpanRecord) => boolean;

function compileMatcher(m: SpanMatcher): Predicate {
  const tests: Predicate[] = [];
  if (m.kind !== undefined) {
    const kinds = Array.isArray(m.kind) ? m.kind : [m.kind];
    tests.push((s) => kinds.includes(s.kind));
  }
  const field = (glob: string | undefined, get: (s: SpanRecord) => string | null | undefined): void => {
    if (glob === undefined) return;
    const re = globToRegExp(glob);
    tests.push((s) => {
      const v = get(s);
      return typeof v === 'string' && re.test(v);
    });
  };
  field(m.service, (s) => s.service);
  field(m.action, (s) => s.action);
  field(m.event, (s) => s.event);
  field(m.op, (s) => s.op);
  field(m.name, (s) => s.name);
  if (m.tags) {
    for (const [k, want] of Object.entries(m.tags)) {
      if (typeof want === 'string') {
        const re = globToRegExp(want);
        tests.push((s) => {
          const v = s.tags?.[k];
          return v !== undefined && re.test(String(v));
        });
      } else tests.push((s) => s.tags?.[k] === want);
    }
  }
  return (s) => tests.every((t) => t(s));
}

function compileAny(ms: SpanMatcher[]): Predicate {
  const ps = ms.map(compileMatcher);
  return (s) => ps.some((p) => p(s));
}

export interface CompiledStep {
  def: StepDefinition;
  index: number;
  matches: Predicate;
}

export interface CompiledChain {
  def: ChainDefinition;
  steps: CompiledStep[];
  /** Index of the first step the span matches, or -1. */
  stepOf(s: SpanRecord): number;
  isEntry(stepIndex: number): boolean;
  isBoundary(s: SpanRecord): boolean;
}

const MEMO_MAX = 10_000;

export function compileChain(def: ChainDefinition): CompiledChain {
  const steps = def.steps.map((d, index) => ({ def: d, index, matches: compileAny(d.match) }));
  // Spans of one operation match the same step: memoise by the fields matchers read (tags only when a matcher reads tags).
  const readsTags = [...def.steps.flatMap((s) => s.match), ...(def.boundaries ?? [])].some((m) => m.tags !== undefined);
  const memo = new Map<string, number>();
  const bmemo = new Map<string, boolean>();
  const keyOf = (s: SpanRecord): string | null =>
    readsTags && s.tags ? null : `${s.kind}\u0000${s.service ?? ''}\u0000${s.op}\u0000${s.name}\u0000${s.action ?? ''}\u0000${s.event ?? ''}`;
  const anyEntry = def.steps.some((s) => s.entry);
  const entries = new Set(steps.filter((s) => (anyEntry ? s.def.entry : s.index === 0)).map((s) => s.index));
  const boundary = def.boundaries && def.boundaries.length > 0 ? compileAny(def.boundaries) : () => false;
  const match = (s: SpanRecord): number => {
    for (const st of steps) if (st.matches(s)) return st.index;
    return -1;
  };
  return {
    def,
    steps,
    stepOf(s) {
      const k = keyOf(s);
      if (k === null) return match(s);
      let v = memo.get(k);
      if (v === undefined) {
        if (memo.size >= MEMO_MAX) memo.clear();
        memo.set(k, (v = match(s)));
      }
      return v;
    },
    isEntry: (i) => entries.has(i),
    isBoundary(s) {
      const k = keyOf(s);
      if (k === null) return boundary(s);
      let v = bmemo.get(k);
      if (v === undefined) {
        if (bmemo.size >= MEMO_MAX) bmemo.clear();
        bmemo.set(k, (v = boundary(s)));
      }
      return v;
    },
  };
}

function bad(message: string, data?: unknown): DomainError {
  return new DomainError('BAD_CHAIN', message, 422, data);
}

function checkMatcher(m: unknown, where: string): SpanMatcher {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad(`${where}: a matcher must be an object`);
  const o = m as Record<string, unknown>;
  const out: SpanMatcher = {};
  for (const k of Object.keys(o)) {
    if (!['kind', 'service', 'action', 'event', 'op', 'name', 'tags'].includes(k)) throw bad(`${where}: unknown matcher field '${k}'`);
  }
  if (o.kind !== undefined) {
    const ks = Array.isArray(o.kind) ? o.kind : [o.kind];
    for (const k of ks) if (!KINDS.includes(k as SpanKind)) throw bad(`${where}: kind must be one of ${KINDS.join('|')}`);
    out.kind = o.kind as SpanMatcher['kind'];
  }
  for (const k of ['service', 'action', 'event', 'op', 'name'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw bad(`${where}: ${k} must be a non-empty glob of at most 200 characters`);
    out[k] = v;
  }
  if (o.tags !== undefined) {
    if (typeof o.tags !== 'object' || o.tags === null || Array.isArray(o.tags)) throw bad(`${where}: tags must be an object`);
    const tags: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(o.tags as Record<string, unknown>)) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) throw bad(`${where}: tag '${k}' must be a string, number or boolean`);
      tags[k] = v as string | number | boolean;
    }
    out.tags = tags;
  }
  if (Object.keys(out).length === 0) throw bad(`${where}: a matcher needs at least one criterion`);
  return out;
}

/** Validate an untrusted definition (REST, database); throws DomainError BAD_CHAIN (422) naming the fault. */
export function validateChainDefinition(input: unknown): ChainDefinition {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('a chain definition must be an object');
  const o = input as Record<string, unknown>;
  if (typeof o.name !== 'string' || !NAME_RE.test(o.name)) throw bad('name must match [A-Za-z][A-Za-z0-9_]{0,63}');
  const description = o.description === undefined ? '' : o.description;
  if (typeof description !== 'string' || description.length > 500) throw bad('description must be a string of at most 500 characters');
  if (!Array.isArray(o.steps) || o.steps.length === 0 || o.steps.length > MAX_STEPS) throw bad(`steps must be a list of 1..${MAX_STEPS} steps`);
  const ids = new Set<string>();
  const steps: StepDefinition[] = o.steps.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw bad(`steps[${i}] must be an object`);
    const s = raw as Record<string, unknown>;
    if (typeof s.id !== 'string' || !STEP_RE.test(s.id)) throw bad(`steps[${i}].id must match [a-z][a-z0-9-]{0,47}`);
    if (ids.has(s.id)) throw bad(`steps[${i}].id '${s.id}' is used twice`);
    ids.add(s.id);
    if (!Array.isArray(s.match) || s.match.length === 0 || s.match.length > MAX_MATCHERS) throw bad(`steps[${i}].match must be a list of 1..${MAX_MATCHERS} matchers`);
    const step: StepDefinition = {
      id: s.id,
      label: typeof s.label === 'string' && s.label.length > 0 ? s.label.slice(0, 100) : s.id,
      match: s.match.map((m, j) => checkMatcher(m, `steps[${i}].match[${j}]`)),
    };
    for (const f of ['entry', 'required', 'fanout', 'sticky'] as const) {
      if (s[f] === undefined) continue;
      if (typeof s[f] !== 'boolean') throw bad(`steps[${i}].${f} must be a boolean`);
      if (s[f]) step[f] = true;
    }
    return step;
  });
  let boundaries: SpanMatcher[] | undefined;
  if (o.boundaries !== undefined) {
    if (!Array.isArray(o.boundaries) || o.boundaries.length > MAX_MATCHERS) throw bad(`boundaries must be a list of at most ${MAX_MATCHERS} matchers`);
    boundaries = o.boundaries.map((m, j) => checkMatcher(m, `boundaries[${j}]`));
  }
  const def: ChainDefinition = { name: o.name, description, steps };
  if (boundaries && boundaries.length > 0) def.boundaries = boundaries;
  if (o.waitMs !== undefined) {
    if (typeof o.waitMs !== 'number' || !Number.isInteger(o.waitMs) || o.waitMs < 0 || o.waitMs > 600_000) throw bad('waitMs must be an integer in [0, 600000]');
    if (o.waitMs > 0) def.waitMs = o.waitMs;
  }
  if (o.minSteps !== undefined) {
    if (typeof o.minSteps !== 'number' || !Number.isInteger(o.minSteps) || o.minSteps < 1 || o.minSteps > steps.length) throw bad(`minSteps must be an integer in [1, ${steps.length}]`);
    if (o.minSteps > 1) def.minSteps = o.minSteps;
  }
  return def;
}

/** The chain definitions a FlowChain instance matches spans against; built-ins plus run-time additions. */
export class ChainRegistry {
  private readonly chains = new Map<string, CompiledChain>();
  private version = 0;

  constructor(builtIns: ChainDefinition[] = []) {
    for (const d of builtIns) this.add({ ...d, builtIn: true }, { replace: false });
  }

  /** Bumped on every change, so callers can cache per version. */
  get revision(): number {
    return this.version;
  }

  /**
   * Add a definition (validated). A name already present is a 409 unless
   * `replace` is set; built-in definitions are never replaced.
   */
  add(input: ChainDefinition | unknown, opts: { replace?: boolean } = {}): ChainDefinition {
    const builtIn = typeof input === 'object' && input !== null && (input as ChainDefinition).builtIn === true;
    const def = validateChainDefinition(input);
    if (builtIn) def.builtIn = true;
    const existing = this.chains.get(def.name);
    if (existing) {
      if (existing.def.builtIn) throw new DomainError('CHAIN_EXISTS', `chain ${def.name} is built in and cannot be replaced`, 409);
      if (!opts.replace) throw new DomainError('CHAIN_EXISTS', `chain ${def.name} already exists`, 409);
    }
    this.chains.set(def.name, compileChain(def));
    this.version++;
    return def;
  }

  /** Remove a run-time definition; built-ins stay. Returns whether it existed. */
  remove(name: string): boolean {
    const c = this.chains.get(name);
    if (!c) return false;
    if (c.def.builtIn) throw new DomainError('CHAIN_BUILT_IN', `chain ${name} is built in and cannot be removed`, 409);
    this.chains.delete(name);
    this.version++;
    return true;
  }

  has(name: string): boolean {
    return this.chains.has(name);
  }

  /** The definition, or NotFoundError (404) listing the known chains. */
  get(name: string): ChainDefinition {
    const c = this.chains.get(name);
    if (!c) throw new NotFoundError('chain', name, { known: [...this.chains.keys()] });
    return c.def;
  }

  list(): ChainDefinition[] {
    return [...this.chains.values()].map((c) => c.def);
  }

  compiled(): CompiledChain[] {
    return [...this.chains.values()];
  }
}
