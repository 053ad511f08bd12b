/**
 * The chains Plan2 ships with. They match by names, so they hold whatever
 * service implements the names; globs leave room for how a service splits its
 * work. Services help FlowChain split a step finer by opening custom spans with
 * these names (`ctx.startSpan('validate')` … `ctx.finishSpan(span)`):
 * market-data: `validate`, `aggregate`, `store`; trading: `fill`; api: `authenticate`.
 */
import type { ChainDefinition } from './chain';

export const MT5_TO_DATABASE: ChainDefinition = {
  name: 'MT5_To_Database',
  description: 'A tick from the MT5 gateway through validation and candle aggregation into storage.',
  steps: [
    {
      id: 'receive',
      label: 'Gateway receive',
      entry: true,
      match: [{ service: 'mt5-gateway', op: '*tick*' }, { event: 'mt5.tick*' }, { action: 'market-data.ingest*' }],
    },
    { id: 'validate', label: 'Validate', match: [{ kind: 'custom', name: '*validat*' }, { action: 'market-data.validate*' }] },
    {
      id: 'aggregate',
      label: 'Candle aggregation',
      match: [{ kind: 'custom', name: '*aggregat*' }, { kind: 'custom', name: '*candle*' }, { action: 'market-data.aggregate*' }],
    },
    {
      id: 'store',
      label: 'Store',
      match: [{ kind: 'custom', name: '*store*' }, { kind: 'custom', name: '*persist*' }, { action: 'market-data.store*' }, { action: 'storage.*' }],
    },
  ],
  // A closed candle starts AI_Decision; fan-out of ticks to subscribers is not storage.
  boundaries: [{ event: 'candle.closed' }, { event: 'ticks.received' }],
};

/**
 * From a closed candle to the fill. Consensus may decide inside its
 * `candle.closed` handler or hand the work off and return (then the execution
 * ends with its last step, see assemble.ts); risk may be its `risk.evaluate`
 * action or its `decision.made` handler. Two steps at least: a `candle.closed`
 * listener that only updates an agent's state is no decision. A trace whose
 * candle has no decision yet stays open up to 20 s for the queued one.
 */
export const AI_DECISION: ChainDefinition = {
  name: 'AI_Decision',
  description: 'A closed candle through the agents\u2019 opinions, consensus fusion, risk and order submission to the fill.',
  minSteps: 2,
  // consensus queues decisions candle after candle: under a burst one may run seconds after its candle
  waitMs: 20_000,
  steps: [
    // consensus's listener: the one that turns a candle into decisions (agents listen too, to update their state)
    { id: 'candle', label: 'candle.closed → consensus', entry: true, match: [{ kind: 'event', event: 'candle.closed', service: 'consensus' }] },
    { id: 'opine', label: 'Agents opine', fanout: true, match: [{ action: '*.opine' }] },
    {
      id: 'fusion',
      label: 'Consensus fusion and persistence',
      entry: true,
      match: [
        { action: 'consensus.decide*' },
        { action: 'consensus.fuse*' },
        { kind: 'custom', name: '*fusion*' },
        { kind: 'custom', service: 'consensus', name: 'persist*' },
      ],
    },
    { id: 'risk', label: 'Risk', match: [{ action: 'risk.evaluate*' }, { kind: 'custom', name: 'risk.evaluate*' }, { kind: 'event', event: 'decision.made', service: 'risk' }] },
    { id: 'submit', label: 'trading.submit', match: [{ action: 'trading.submit*' }] },
    {
      id: 'fill',
      label: 'Fill',
      match: [{ event: 'order.filled' }, { action: 'trading.fill*' }, { kind: 'custom', name: '*fill*' }, { action: 'mt5-gateway.*order*' }],
    },
  ],
};

export const USER_WORKFLOW: ChainDefinition = {
  name: 'User_Workflow',
  description: 'An HTTP request through authentication, data access and AI processing to the response.',
  steps: [
    {
      id: 'authenticate',
      label: 'API authentication',
      match: [
        { action: 'users.auth*' },
        { action: 'users.resolve*' },
        { action: 'users.verify*' },
        { action: 'auth.*' },
        { action: 'api.auth*' },
        { kind: 'custom', name: '*auth*' },
      ],
    },
    {
      id: 'ai',
      label: 'AI processing',
      sticky: true,
      match: [{ action: 'consensus.*' }, { action: '*.opine' }, { action: 'ai-orchestration.*' }, { action: 'agents.*' }],
    },
    {
      id: 'data',
      label: 'Data access',
      match: [
        { action: 'market-data.*' },
        { action: 'storage.*' },
        { action: 'trading.*' },
        { action: 'risk.*' },
        { action: 'users.*' },
        { action: 'flowchain.*' },
        { action: 'billing.*' },
        { action: 'subscription.*' },
        { action: 'analytics.*' },
        { action: 'backtest*' },
      ],
    },
    // The HTTP request span: its own (self) time is routing, serialisation and the response itself.
    { id: 'response', label: 'Response', entry: true, required: true, match: [{ kind: 'http' }] },
  ],
};

export const BUILT_IN_CHAINS: ChainDefinition[] = [MT5_TO_DATABASE, AI_DECISION, USER_WORKFLOW];
