/**
 * `npm start` as users run it: a real process on embedded defaults (PGlite in a
 * fresh DATA_DIR), /health, an authenticated call with the printed demo key,
 * and a clean SIGTERM.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, runPlan2, waitForHttp } from '../helpers/process';
import { http } from '../helpers/http';

describe('plan2 start (embedded defaults)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-e2e-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('comes up, serves an authenticated call with the demo key, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const mt5 = await freePort();
    const p = runPlan2(['start'], { DATA_DIR: dataDir, PORT: String(port), MT5_PORT: String(mt5), LOG_LEVEL: 'warn', REPLAY_SPEED: '600' });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000);
      const demoFile = path.join(dataDir, 'demo.json');
      for (let i = 0; i < 100 && !fs.existsSync(demoFile); i++) await new Promise((r) => setTimeout(r, 50));
      const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8')) as { tenantId: string; apiKey: string };
      expect(demo.apiKey).toMatch(/^p2k_/);
      // The key printed on stdout is the one saved in demo.json.
      for (let i = 0; i < 40 && !p.output().includes('Demo key'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(p.output()).toContain(`Demo key   ${demo.apiKey}`);
      expect(p.output()).toContain(`http://localhost:${port}/`);
      const base = `http://127.0.0.1:${port}`;
      const r = await http(base, 'GET', '/api/v1/tenant', { key: demo.apiKey });
      expect(r.status).toBe(200);
      expect(r.body.id).toBe(demo.tenantId);
      expect((await http(base, 'GET', '/api/v1/tenant')).status).toBe(401);
    } finally {
      p.child.kill('SIGTERM');
      const { code, signal } = await p.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    }
  }, 60_000);
});
