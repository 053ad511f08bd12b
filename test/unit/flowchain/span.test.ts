import { isSpanRecord, normalizePath, toSpanRecord } from '../../../flowchain/span';

describe('toSpanRecord', () => {
  it('reads an action span: op, service, node, tenant, timing, sampling tag; drops params and noise', () => {
    const r = toSpanRecord({
      id: 's2',
      traceID: 't1',
      parentID: 's1',
      name: "action 'risk.evaluate'",
      type: 'action',
      service: { name: 'risk', fullName: 'risk', version: undefined },
      startTime: 1000.5,
      finishTime: 1003,
      duration: 2.5,
      error: null,
      tags: {
        callingLevel: 2,
        action: { name: 'risk.evaluate', rawName: 'evaluate' },
        remoteCall: false,
        callerNodeID: 'n1',
        nodeID: 'n2',
        options: { timeout: 100 },
        requestID: 't1',
        meta: { tenantId: 'alpha' },
        params: { secret: 'x' },
        sampling: { rate: 0.25, rule: 'market-data.ingest' },
        symbol: 'EURUSD',
        fromCache: false,
      },
    });
    expect(r).toEqual({
      id: 's2',
      traceId: 't1',
      parentId: 's1',
      kind: 'action',
      name: "action 'risk.evaluate'",
      op: 'risk.evaluate',
      action: 'risk.evaluate',
      service: 'risk',
      node: 'n2',
      tenantId: 'alpha',
      start: 1000.5,
      duration: 2.5,
      error: null,
      sampleRate: 0.25,
      tags: { symbol: 'EURUSD' },
    });
    expect(isSpanRecord(r)).toBe(true);
  });

  it('reads an event span as <event>@<service> and an error as its fields', () => {
    const err = Object.assign(new Error('limit hit'), { code: 422, type: 'RISK_LIMIT', data: { check: 'maxExposure' } });
    const r = toSpanRecord({
      id: 'e1',
      traceID: 't1',
      parentID: null,
      name: "event 'candle.closed' in 'consensus'",
      type: 'event',
      service: { name: 'consensus', fullName: 'consensus' },
      startTime: 5,
      finishTime: 9,
      error: err,
      tags: { event: { name: 'candle.closed', group: 'consensus' }, eventName: 'candle.closed', eventType: 'broadcast', nodeID: 'n1' },
    });
    expect(r.kind).toBe('event');
    expect(r.op).toBe('candle.closed@consensus');
    expect(r.event).toBe('candle.closed');
    expect(r.duration).toBe(4);
    expect(r.parentId).toBeNull();
    expect(r.error).toEqual({ name: 'Error', message: 'limit hit', code: 422, type: 'RISK_LIMIT', data: { check: 'maxExposure' } });
    expect(r.tags).toBeUndefined();
  });

  it('reads moleculer-web request spans as http with a normalised path', () => {
    const r = toSpanRecord({
      id: 'h1',
      traceID: 'h1',
      name: 'GET /api/v1/orders/5f1d2c3b4a59e8f7?x=1',
      type: 'action',
      service: { name: 'api', fullName: 'api' },
      startTime: 1,
      duration: 3,
      tags: { action: { name: 'api.rest' }, params: { req: { url: '/api/v1/orders/5f1d2c3b4a59e8f7?x=1', method: 'GET' } } },
    });
    expect(r.kind).toBe('http');
    expect(r.op).toBe('GET /api/v1/orders/:id');
    expect(r.action).toBe('api.rest');
  });

  it('treats other spans as custom by name, and a boolean error as a failure', () => {
    const r = toSpanRecord({ id: 'c', traceID: 't', parentID: 'p', name: 'validate', type: 'custom', startTime: 1, duration: 0.1, error: true });
    expect(r.kind).toBe('custom');
    expect(r.op).toBe('validate');
    expect(r.error).toEqual({ name: 'Error', message: 'failed' });
  });

  it('normalises id-like path segments', () => {
    expect(normalizePath('/api/v1/decisions/123?limit=5')).toBe('/api/v1/decisions/:id');
    expect(normalizePath('/api/v1/flowchain/executions/2b7e151628aed2a6abf7158809cf4f3c')).toBe('/api/v1/flowchain/executions/:id');
    expect(normalizePath('/api/v1/flowchain/chains/AI_Decision/stats')).toBe('/api/v1/flowchain/chains/AI_Decision/stats');
  });

  it('rejects malformed records', () => {
    expect(isSpanRecord({ id: 'x' })).toBe(false);
    expect(isSpanRecord({ id: 'a', traceId: 't', parentId: null, op: 'x', kind: 'custom', start: 1, duration: -1 })).toBe(false);
    expect(isSpanRecord(null)).toBe(false);
  });
});
