/**
 * The demo tenant of an embedded start: created once, its API key printed and
 * kept in `DATA_DIR/demo.json` (`{tenantId, apiKey, mt5Token}`, mode 0600) so a
 * restart shows the same credentials.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Db } from '../../lib/storage/db';
import { createApiKey, createTenant, verifyApiKey } from './tenants';

export interface DemoCredentials {
  tenantId: string;
  apiKey: string;
  mt5Token: string | null;
}

export async function ensureDemo(db: Db, dataDir: string, mintMt5Token?: (tenantId: string) => Promise<string>): Promise<DemoCredentials> {
  const file = path.join(dataDir, 'demo.json');
  try {
    const d = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoCredentials;
    if (d.apiKey && (await verifyApiKey(db, d.apiKey))) {
      if (!d.mt5Token && mintMt5Token) {
        d.mt5Token = await mintMt5Token(d.tenantId);
        write(file, d);
      }
      return d;
    }
  } catch {
    /* first start, or a database reset: create again */
  }
  const t = await createTenant(db, 'Demo', 'pro', 'bootstrap');
  const { key } = await createApiKey(db, t.id, 'demo', 'tenant', 'bootstrap');
  const d: DemoCredentials = { tenantId: t.id, apiKey: key, mt5Token: mintMt5Token ? await mintMt5Token(t.id) : null };
  write(file, d);
  return d;
}

function write(file: string, d: DemoCredentials): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written whole or not at all: readers never see half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(d, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
