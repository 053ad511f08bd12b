/**
 * A local Telegram Bot API: `POST /bot<token>/getUpdates` (offset confirms earlier
 * updates; long poll held until an update arrives or at most 1 s) and
 * `/bot<token>/sendMessage` (recorded). Wrong token → 401 like Telegram.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTelegram {
  url: string;
  sent: { chat_id: number; text: string }[];
  offsets: number[];
  /** Queue a user message in `chatId`. */
  say(chatId: number, text: string): void;
  /** Wait until a message to `chatId` matching `re` was sent. */
  reply(chatId: number, re: RegExp, ms?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeTelegram(token: string): Promise<FakeTelegram> {
  let nextId = 1000;
  let queue: { update_id: number; message: unknown }[] = [];
  const sent: FakeTelegram['sent'] = [];
  const offsets: number[] = [];
  let wake: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      if (!m || m[1] !== token) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (m[2] === 'getUpdates') {
        const offset = Number(body.offset ?? 0);
        offsets.push(offset);
        queue = queue.filter((u) => u.update_id >= offset);
        if (queue.length === 0) await new Promise<void>((r) => { wake = r; setTimeout(r, Math.min(1000, Number(body.timeout ?? 0) * 1000)); });
        wake = null;
        return send(200, { ok: true, result: queue.filter((u) => u.update_id >= offset) });
      }
      if (m[2] === 'sendMessage') {
        if (typeof body.chat_id !== 'number' || typeof body.text !== 'string' || !body.text) return send(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
        sent.push({ chat_id: body.chat_id, text: body.text });
        return send(200, { ok: true, result: { message_id: sent.length, chat: { id: body.chat_id, type: 'private' }, date: Math.floor(Date.now() / 1000), text: body.text } });
      }
      send(404, { ok: false, error_code: 404, description: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    offsets,
    say(chatId, text) {
      queue.push({ update_id: nextId++, message: { message_id: nextId, chat: { id: chatId, type: 'private' }, from: { id: chatId, username: `u${chatId}` }, date: Math.floor(Date.now() / 1000), text } });
      wake?.();
    },
    async reply(chatId, re, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = sent.find((s) => s.chat_id === chatId && re.test(s.text));
        if (hit) return hit.text;
        if (Date.now() > end) throw new Error(`no reply to ${chatId} matching ${re}; sent: ${JSON.stringify(sent.filter((s) => s.chat_id === chatId))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
