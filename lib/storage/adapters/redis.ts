/** ioredis client that fails fast: a clear UnavailableError within the connect timeout, never a hang. */
import Redis from 'ioredis';
import { UnavailableError } from '../../errors';
import { withTimeout } from '../../util/timeout';

export async function connectRedis(url: string, timeoutMs = 3000): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 2, enableOfflineQueue: true, retryStrategy: (n) => Math.min(n * 200, 2000) });
  client.on('error', () => undefined); // surfaced through the commands that fail
  try {
    await withTimeout(client.connect(), timeoutMs, `no answer within ${timeoutMs} ms`);
  } catch (e) {
    client.disconnect();
    throw new UnavailableError('redis', `${url.replace(/\/\/[^@]*@/, '//')}: ${(e as Error).message}`, e);
  }
  return client;
}
