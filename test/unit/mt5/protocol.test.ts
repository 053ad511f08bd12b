import {
  encode,
  LineReader,
  MAX_LINE_BYTES,
  normalizeTicket,
  orderIdFromComment,
  parseInbound,
  parseOutbound,
  ParseFailure,
  SymbolsMsg,
  TickMsg,
  validateCommand,
} from '../../../mt5-gateway/protocol';

function fail(r: unknown): ParseFailure {
  expect(r).toBeInstanceOf(ParseFailure);
  return r as ParseFailure;
}

describe('parseInbound', () => {
  const hello = { type: 'hello', protocol: 1, token: 't', login: 12345678, server: 'Demo-Server', server_offset_sec: 10800 };

  it('accepts a hello and turns the login into a string', () => {
    const m = parseInbound(JSON.stringify({ ...hello, margin_mode: 'hedging', trade_mode: 'demo', build: 4410, extra_field: 'kept' }));
    expect(m).not.toBeInstanceOf(ParseFailure);
    expect(m).toMatchObject({ type: 'hello', login: '12345678', extra_field: 'kept' });
  });

  it('names every missing hello field it needs', () => {
    const f = fail(parseInbound('{"type":"hello","protocol":1}'));
    expect(f.code).toBe('MISSING_FIELD');
    expect(f.fields).toEqual(['token', 'login', 'server', 'server_offset_sec']);
    expect(f.message).toContain('token, login, server, server_offset_sec');
  });

  it.each([
    ['login', -5],
    ['login', 'abc'],
    ['server_offset_sec', 1.5],
    ['server_offset_sec', 100_000],
    ['margin_mode', 'both'],
    ['leverage', '100'],
  ])('refuses hello.%s = %j', (field, value) => {
    const f = fail(parseInbound(JSON.stringify({ ...hello, [field]: value })));
    expect(f.code).toBe('BAD_FIELD');
    expect(f.field).toBe(field);
  });

  it('accepts a tick with MqlTick names and optional fields', () => {
    const m = parseInbound('{"type":"tick","seq":1,"symbol":"EURUSD","time_msc":1399507208715,"bid":1.3921,"ask":1.39222,"flags":6}') as TickMsg;
    expect(m.type).toBe('tick');
    expect(m.bid).toBe(1.3921);
  });

  it.each([
    ['{"type":"tick","seq":0,"symbol":"EURUSD","time_msc":1,"bid":1,"ask":1}', 'BAD_FIELD', 'seq'],
    ['{"type":"tick","seq":1,"symbol":"","time_msc":1,"bid":1,"ask":1}', 'BAD_FIELD', 'symbol'],
    ['{"type":"tick","seq":1,"symbol":"X","time_msc":1.5,"bid":1,"ask":1}', 'BAD_FIELD', 'time_msc'],
    ['{"type":"tick","seq":1,"symbol":"X","time_msc":1,"bid":"1","ask":1}', 'BAD_FIELD', 'bid'],
    ['{"type":"tick","seq":1,"symbol":"X","time_msc":1,"bid":1,"ask":null}', 'MISSING_FIELD', 'ask'],
    ['{"type":"tick","seq":1,"symbol":"X","time_msc":1,"bid":1,"ask":1,"volume":"x"}', 'BAD_FIELD', 'volume'],
    ['{"type":"tick","symbol":"X","bid":1}', 'MISSING_FIELD', 'seq'],
  ])('refuses tick %s', (line, code, field) => {
    const f = fail(parseInbound(line));
    expect(f.code).toBe(code);
    expect(f.field).toBe(field);
  });

  it.each([
    ['', 'BAD_JSON'],
    ['{"type":"tick"', 'BAD_JSON'],
    ['\u0000\u0001\u00ff', 'BAD_JSON'],
    ['[1,2]', 'NOT_OBJECT'],
    ['42', 'NOT_OBJECT'],
    ['null', 'NOT_OBJECT'],
    ['{}', 'MISSING_TYPE'],
    ['{"type":7}', 'BAD_FIELD'],
    ['{"type":"teapot"}', 'UNKNOWN_TYPE'],
    ['{"type":"constructor"}', 'UNKNOWN_TYPE'],
    ['{"type":"__proto__"}', 'UNKNOWN_TYPE'],
    ['{"type":"order"}', 'UNKNOWN_TYPE'],
  ])('classifies garbage %j as %s', (line, code) => {
    expect(fail(parseInbound(line)).code).toBe(code);
  });

  it('keeps valid symbol specs and reports the invalid ones', () => {
    const m = parseInbound(
      JSON.stringify({
        type: 'symbols',
        symbols: [
          { name: 'EURUSD.m', digits: 5, point: 0.00001, volume_step: 0.01, filling_mode: 3, currency_base: 'EUR', currency_profit: 'USD' },
          { name: 'BAD', digits: 'five', point: 0.1 },
          { digits: 2, point: 0.01 },
          { name: 'XAUUSD', digits: 2, point: 0.01 },
        ],
      }),
    ) as SymbolsMsg;
    expect(m.type).toBe('symbols');
    expect(m.symbols.map((s) => s.name)).toEqual(['EURUSD.m', 'XAUUSD']);
    expect(m.rejected).toEqual([
      { index: 1, code: 'BAD_FIELD', field: 'symbols[1].digits' },
      { index: 2, code: 'MISSING_FIELD', field: 'symbols[2].name' },
    ]);
  });

  it('normalises tickets to strings everywhere, including 64-bit strings', () => {
    const m = parseInbound(
      JSON.stringify({
        type: 'trade_transaction',
        transaction: { type: 'deal_add', deal: 123, order: '18446744073709551615', position: 77 },
        request: { comment: 'p2:abc', position: 0 },
        result: { retcode: 10009, order: 5 },
      }),
    );
    expect(m).toMatchObject({ transaction: { deal: '123', order: '18446744073709551615', position: '77' }, request: { position: '0' }, result: { order: '5' } });
    expect(fail(parseInbound('{"type":"trade_transaction","transaction":{"type":"deal_add","deal":-1}}')).field).toBe('transaction.deal');
  });

  it('validates snapshots item by item', () => {
    expect(parseInbound('{"type":"positions","positions":[{"ticket":5,"symbol":"EURUSD","type":"buy","volume":0.1,"comment":"p2:x1"}]}')).toMatchObject({ positions: [{ ticket: '5' }] });
    expect(fail(parseInbound('{"type":"positions","positions":[{"symbol":"EURUSD"}]}')).field).toBe('positions[0].ticket');
    expect(fail(parseInbound('{"type":"orders","orders":{}}')).code).toBe('BAD_FIELD');
    expect(parseInbound('{"type":"history","deals":[{"ticket":"9","order":8}]}')).toMatchObject({ deals: [{ ticket: '9', order: '8' }], orders: [] });
  });

  it('checks order_result, account, status, ping and pong', () => {
    expect(parseInbound('{"type":"order_result","id":"o-1","retcode":10009,"deal":"11","order":12,"retcode_external":0}')).toMatchObject({ order: '12', deal: '11' });
    expect(fail(parseInbound('{"type":"order_result","id":"has space","retcode":10009}')).field).toBe('id');
    expect(fail(parseInbound('{"type":"account","balance":1}')).fields).toEqual(['equity']);
    expect(fail(parseInbound('{"type":"status","connected":"yes"}')).field).toBe('connected');
    expect(parseInbound('{"type":"pong","id":3,"time":1700000000000}')).toMatchObject({ type: 'pong', id: 3 });
    expect(fail(parseInbound('{"type":"pong","time":"now"}')).field).toBe('time');
  });
});

describe('commands and outbound messages', () => {
  it('validates an order and refuses what MT5 would refuse', () => {
    expect(validateCommand({ type: 'order', id: 'ord-1', action: 'deal', symbol: 'EURUSD', volume: 0.1, order_type: 'buy', magic: 7 })).toMatchObject({ id: 'ord-1' });
    expect(fail(validateCommand({ type: 'order', id: 'x'.repeat(29), action: 'deal', symbol: 'EURUSD', volume: 0.1, order_type: 'buy' })).field).toBe('id');
    expect(fail(validateCommand({ type: 'order', id: 'a', action: 'pending', symbol: 'EURUSD', volume: 0.1, order_type: 'buy_limit' })).fields).toEqual(['price']);
    expect(fail(validateCommand({ type: 'order', id: 'a', action: 'pending', symbol: 'EURUSD', volume: 0.1, order_type: 'buy', price: 1 })).field).toBe('order_type');
    expect(fail(validateCommand({ type: 'order', id: 'a', action: 'deal', symbol: 'EURUSD', volume: 0, order_type: 'buy' })).field).toBe('volume');
    expect(fail(validateCommand({ type: 'order', id: 'a', action: 'deal', symbol: 'EURUSD', volume: 1, order_type: 'buy', type_filling: 'all' })).field).toBe('type_filling');
    expect(fail(validateCommand({ type: 'tick' })).code).toBe('UNKNOWN_TYPE');
  });

  it('validates modify/close/close_partial/cancel by ticket', () => {
    expect(validateCommand({ type: 'close', id: 'c1', ticket: 42 })).toMatchObject({ ticket: '42' });
    expect(fail(validateCommand({ type: 'close', id: 'c1' })).fields).toEqual(['ticket']);
    expect(fail(validateCommand({ type: 'close_partial', id: 'c1', ticket: '4' })).fields).toEqual(['volume']);
    expect(fail(validateCommand({ type: 'modify', id: 'm', ticket: '4' })).code).toBe('MISSING_FIELD');
    expect(validateCommand({ type: 'modify', id: 'm', ticket: '4', sl: 1.1 })).toMatchObject({ sl: 1.1 });
    expect(fail(validateCommand({ type: 'cancel', id: 'm', ticket: '0' })).field).toBe('ticket');
  });

  it('parses what the gateway sends', () => {
    expect(parseOutbound('{"type":"welcome","session":"s","protocol":1,"heartbeat_sec":10,"last_time_msc":{"EURUSD":5},"server_time":1,"max_line_bytes":65536}')).toMatchObject({ type: 'welcome' });
    expect(parseOutbound('{"type":"error","code":"BAD_JSON","message":"x"}')).toMatchObject({ code: 'BAD_JSON' });
    expect(fail(parseOutbound('{"type":"hello"}')).code).toBe('UNKNOWN_TYPE');
    expect(encode({ type: 'ping', id: 1 })).toBe('{"type":"ping","id":1}\n');
  });

  it('reads the order id back from a comment, broker additions included', () => {
    expect(orderIdFromComment('p2:ord-1')).toBe('ord-1');
    expect(orderIdFromComment('p2:ord-1 [sl 1.1]')).toBe('ord-1');
    expect(orderIdFromComment('p2:ord-1|scalper')).toBe('ord-1');
    expect(orderIdFromComment('manual')).toBeNull();
    expect(orderIdFromComment(undefined)).toBeNull();
  });

  it('normalises tickets', () => {
    expect(normalizeTicket(5)).toBe('5');
    expect(normalizeTicket('0012')).toBe('0012');
    expect(normalizeTicket(1.5)).toBeNull();
    expect(normalizeTicket('1e3')).toBeNull();
    expect(normalizeTicket(-1)).toBeNull();
  });
});

describe('LineReader', () => {
  function reader(max = MAX_LINE_BYTES) {
    const lines: string[] = [];
    const oversize: number[] = [];
    const r = new LineReader((l) => lines.push(l), (n) => oversize.push(n), max);
    return { r, lines, oversize };
  }

  it('splits lines, joins halves across packets, strips CR and skips blank lines', () => {
    const { r, lines } = reader();
    r.push(Buffer.from('{"a":1}\n{"b"'));
    r.push(Buffer.from(':2}\r\n\n'));
    r.push(Buffer.from('{"c":'));
    r.push(Buffer.from('3'));
    r.push(Buffer.from('}\n'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(r.pendingBytes).toBe(0);
  });

  it('joins a multi-byte UTF-8 character split across packets', () => {
    const { r, lines } = reader();
    const b = Buffer.from('{"s":"€"}\n');
    r.push(b.subarray(0, 7));
    r.push(b.subarray(7));
    expect(lines).toEqual(['{"s":"€"}']);
  });

  it('discards an oversized line without buffering it and resumes at the next newline', () => {
    const { r, lines, oversize } = reader(100);
    r.push(Buffer.from('x'.repeat(60)));
    r.push(Buffer.from('x'.repeat(60)));
    expect(r.pendingBytes).toBe(0);
    r.push(Buffer.from('x'.repeat(1000)));
    r.push(Buffer.from('yy\n{"ok":1}\n' + 'z'.repeat(150) + '\n{"ok":2}\n'));
    expect(oversize).toEqual([1122, 150]);
    expect(lines).toEqual(['{"ok":1}', '{"ok":2}']);
  });

  it('accepts a line of exactly the limit', () => {
    const { r, lines, oversize } = reader(10);
    r.push(Buffer.from('0123456789\n01234567890\n'));
    expect(lines).toEqual(['0123456789']);
    expect(oversize).toEqual([11]);
  });
});
