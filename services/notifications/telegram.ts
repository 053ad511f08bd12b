/**
 * A minimal Telegram Bot API client over HTTP (`{root}/bot{token}/{method}`,
 * JSON in, `{ok, result}` out) and a per-tenant sliding-window rate limiter.
 */
export interface TgUpdate {
  update_id: number;
  message?: { message_id: number; chat: { id: number; type: string }; from?: { id: number; username?: string }; text?: string; date: number };
}

export class TelegramApi {
  constructor(private readonly root: string, private readonly token: string) {}

  async call<T>(method: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const res = await fetch(`${this.root.replace(/\/$/, '')}/bot${this.token}/${method}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal,
    });
    const json = (await res.json()) as { ok: boolean; result?: T; description?: string };
    if (!json.ok) throw new Error(`Telegram ${method}: ${res.status} ${json.description ?? ''}`.trim());
    return json.result as T;
  }

  /** Long poll: updates with id ≥ offset, waiting up to `timeoutSec`. */
  getUpdates(offset: number, timeoutSec: number, signal?: AbortSignal): Promise<TgUpdate[]> {
    return this.call<TgUpdate[]>('getUpdates', { offset, timeout: timeoutSec, allowed_updates: ['message'] }, signal);
  }

  sendMessage(chatId: number, text: string): Promise<unknown> {
    return this.call('sendMessage', { chat_id: chatId, text, disable_web_page_preview: true });
  }
}

/** At most `limit` events per key in any `windowMs`; `take` says whether one more is allowed now. */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly limit: number, private readonly windowMs: number) {}
  take(key: string, now: number): boolean {
    const h = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    const ok = h.length < this.limit;
    if (ok) h.push(now);
    this.hits.set(key, h);
    return ok;
  }
}

/** `/cmd@bot arg1 arg2` → {cmd: 'cmd', args}; null when not a command. */
export function parseCommand(text: string | undefined): { cmd: string; args: string[] } | null {
  const m = /^\/([a-z_]+)(?:@\w+)?(?:\s+(.*))?$/is.exec((text ?? '').trim());
  if (!m) return null;
  return { cmd: m[1].toLowerCase(), args: (m[2] ?? '').split(/\s+/).filter(Boolean) };
}
