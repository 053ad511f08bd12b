/**
 * The EA cannot be compiled here (no MetaEditor). These checks keep it in step
 * with the protocol: every message type it must send or handle is present, the
 * MQL5 functions the spec relies on are used, and brackets balance once
 * comments and literals are removed (a crude syntax guard).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INBOUND_TYPES, OUTBOUND_TYPES } from '../../../mt5-gateway/protocol';
import { ROOT } from '../../../paths';

const src = fs.readFileSync(path.join(ROOT, 'mt5-gateway/ea/Plan2Bridge.mq5'), 'utf8');

/** Source with comments, strings and char literals blanked out. */
function code(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '/' && n === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i += 2;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
      i++;
      out += '0';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

describe('Plan2Bridge.mq5', () => {
  it('sends every EA → gateway message type', () => {
    // literal `{"type":"x"…` or through SendParts("x", …) for split snapshots
    for (const t of INBOUND_TYPES.filter((x) => x !== 'ping')) expect([t, src.includes(`\\"type\\":\\"${t}\\"`) || src.includes(`SendParts("${t}"`)]).toEqual([t, true]);
  });

  it('handles every gateway → EA message type it can receive', () => {
    for (const t of OUTBOUND_TYPES.filter((x) => x !== 'pong')) expect([t, src.includes(`type == "${t}"`)]).toEqual([t, true]);
  });

  it('uses the MQL5 facilities the protocol depends on', () => {
    for (const f of [
      'SocketConnect(',
      'SocketSend(',
      'SocketRead(',
      'CopyTicks(',
      'CopyTicksRange(',
      'EventSetMillisecondTimer(',
      'OrderCheck(',
      'OrderSend(',
      'SYMBOL_FILLING_MODE',
      'TRADE_RETCODE_INVALID_FILL',
      'retcode_external',
      'OnTradeTransaction(',
      'req.position = ticket',
      'COMMENT_PREFIX',
      'TimeTradeServer() - TimeGMT()',
      'CP_UTF8',
    ]) {
      expect([f, src.includes(f)]).toEqual([f, true]);
    }
  });

  it('documents the allow-list setup and its verification in the header', () => {
    const header = src.slice(0, src.indexOf('#property'));
    expect(header).toMatch(/Allow WebRequest for listed URL/);
    expect(header).toMatch(/cannot be compiled/);
    expect(header).toMatch(/MQL5\s*(\/\/\s*)?reference/);
  });

  it('has balanced brackets outside comments and literals', () => {
    const c = code(src);
    const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
    const stack: { ch: string; line: number }[] = [];
    let line = 1;
    for (const ch of c) {
      if (ch === '\n') line++;
      if (ch === '(' || ch === '{' || ch === '[') stack.push({ ch, line });
      else if (ch in pairs) {
        const top = stack.pop();
        expect([line, top?.ch]).toEqual([line, pairs[ch]]);
      }
    }
    expect(stack).toEqual([]);
  });
});
