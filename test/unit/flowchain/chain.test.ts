import { ChainRegistry, compileChain, globToRegExp, validateChainDefinition } from '../../../flowchain/chain';
import { BUILT_IN_CHAINS } from '../../../flowchain/definitions';
import { DomainError } from '../../../lib/errors';
import { sp } from './spans';

describe('chain definitions', () => {
  it('globs match whole names, * across dots', () => {
    expect(globToRegExp('*.opine').test('agent-trend.opine')).toBe(true);
    expect(globToRegExp('*.opine').test('agents.research.market-analysis.opine')).toBe(true);
    expect(globToRegExp('*.opine').test('x.opinex')).toBe(false);
    expect(globToRegExp('risk.evaluate').test('riskXevaluate')).toBe(false);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
  });

  it('matches steps in definition order by kind, names and tags', () => {
    const c = compileChain(
      validateChainDefinition({
        name: 'Demo',
        steps: [
          { id: 'slow-agent', match: [{ action: '*.opine', tags: { 'agent.group': 'research*' } }] },
          { id: 'agents', match: [{ action: '*.opine' }] },
          { id: 'http', match: [{ kind: 'http' }] },
          { id: 'ev', match: [{ kind: 'event', event: 'candle.*', service: 'consensus' }] },
        ],
      }),
    );
    expect(c.stepOf(sp('a', null, 'agent-x.opine', 0, 1, { tags: { 'agent.group': 'research' } }))).toBe(0);
    expect(c.stepOf(sp('a', null, 'agent-x.opine', 0, 1))).toBe(1);
    expect(c.stepOf(sp('a', null, 'GET /api/v1/x', 0, 1))).toBe(2);
    expect(c.stepOf(sp('a', null, 'candle.closed@consensus', 0, 1))).toBe(3);
    expect(c.stepOf(sp('a', null, 'candle.closed@agent-x', 0, 1))).toBe(-1);
    expect(c.isEntry(0)).toBe(true); // no step flagged: the first is the entry
    expect(c.isEntry(1)).toBe(false);
  });

  it.each([
    [null, /object/],
    [{ name: '1bad', steps: [{ id: 'a', match: [{ action: 'x' }] }] }, /name/],
    [{ name: 'X', steps: [] }, /steps/],
    [{ name: 'X', steps: [{ id: 'A', match: [{ action: 'x' }] }] }, /id/],
    [{ name: 'X', steps: [{ id: 'a', match: [{ action: 'x' }] }, { id: 'a', match: [{ action: 'y' }] }] }, /twice/],
    [{ name: 'X', steps: [{ id: 'a', match: [] }] }, /match/],
    [{ name: 'X', steps: [{ id: 'a', match: [{}] }] }, /criterion/],
    [{ name: 'X', steps: [{ id: 'a', match: [{ actoin: 'x' }] }] }, /unknown matcher field 'actoin'/],
    [{ name: 'X', steps: [{ id: 'a', match: [{ kind: 'rpc' }] }] }, /kind/],
    [{ name: 'X', steps: [{ id: 'a', match: [{ tags: { a: {} } }] }] }, /tag 'a'/],
    [{ name: 'X', steps: [{ id: 'a', entry: 'yes', match: [{ action: 'x' }] }] }, /entry/],
    [{ name: 'X', minSteps: 2, steps: [{ id: 'a', match: [{ action: 'x' }] }] }, /minSteps/],
    [{ name: 'X', waitMs: -1, steps: [{ id: 'a', match: [{ action: 'x' }] }] }, /waitMs/],
  ])('rejects a bad definition %#', (def, msg) => {
    let err: unknown;
    try {
      validateChainDefinition(def);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('BAD_CHAIN');
    expect((err as DomainError).message).toMatch(msg);
  });

  it('ships valid built-in definitions with entries and the three named chains', () => {
    expect(BUILT_IN_CHAINS.map((d) => d.name)).toEqual(['MT5_To_Database', 'AI_Decision', 'User_Workflow']);
    for (const d of BUILT_IN_CHAINS) expect(validateChainDefinition(d)).toEqual({ ...d });
  });
});

describe('ChainRegistry', () => {
  it('lists built-ins, adds and replaces run-time definitions, protects built-ins', () => {
    const r = new ChainRegistry(BUILT_IN_CHAINS);
    expect(r.list().map((d) => d.name)).toEqual(['MT5_To_Database', 'AI_Decision', 'User_Workflow']);
    expect(r.list().every((d) => d.builtIn)).toBe(true);
    const rev = r.revision;
    const def = { name: 'Orders_Only', description: 'orders', steps: [{ id: 'submit', label: 'Submit', match: [{ action: 'trading.submit' }] }] };
    expect(r.add(def)).toEqual(def);
    expect(r.revision).toBe(rev + 1);
    expect(r.get('Orders_Only').builtIn).toBeUndefined();
    expect(() => r.add(def)).toThrow(/already exists/);
    r.add({ ...def, description: 'v2' }, { replace: true });
    expect(r.get('Orders_Only').description).toBe('v2');
    expect(() => r.add({ ...def, name: 'AI_Decision' }, { replace: true })).toThrow(/built in/);
    expect(() => r.remove('AI_Decision')).toThrow(/built in/);
    expect(r.remove('Orders_Only')).toBe(true);
    expect(r.remove('Orders_Only')).toBe(false);
    expect(() => r.get('Nope')).toThrow(/chain Nope not found/);
    expect(r.compiled()).toHaveLength(3);
  });
});
