import { ConfigError, loadConfig } from '../../config';

describe('config', () => {
  it('defaults to embedded parts', () => {
    const c = loadConfig({});
    expect(c.transporter).toBeNull();
    expect(c.databaseUrl).toBeNull();
    expect(c.redisUrl).toBeNull();
    expect(c.port).toBe(8000);
    expect(c.mt5Port).toBe(8001);
    expect(c.services).toEqual([]);
    expect(c.dataDir.endsWith('.plan2')).toBe(true);
  });

  it('reads real infrastructure URLs and service globs', () => {
    const c = loadConfig({ TRANSPORTER: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', REDIS_URL: 'redis://127.0.0.1:6379', SERVICES: 'api, agents/*', NODE_ID: 'node-1', PORT: '9000' });
    expect(c.transporter).toBe('nats://127.0.0.1:4222');
    expect(c.services).toEqual(['api', 'agents/*']);
    expect(c.nodeId).toBe('node-1');
    expect(c.port).toBe(9000);
  });

  it.each([
    ['PORT', 'abc', /PORT="abc" is invalid: expected an integer/],
    ['PORT', '70000', /PORT.*\[0, 65535\]/],
    ['TRANSPORTER', 'amqp://x', /TRANSPORTER.*nats:/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL.*a URL/],
    ['REDIS_URL', 'http://x', /REDIS_URL.*redis:/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['REPLAY', 'maybe', /REPLAY/],
    ['NODE_ID', 'has space', /NODE_ID/],
    ['SERVICES', 'api;rm', /SERVICES/],
    ['TICK_TRACE_RATE', '2', /TICK_TRACE_RATE/],
  ])('rejects %s=%s naming the variable', (name, value, msg) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(msg);
  });
});
