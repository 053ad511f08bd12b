/** docker-compose.yml and the Dockerfile stay consistent with config.ts and the services that exist. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../config';
import { ROOT } from '../../paths';
import { discoverServices, selectService } from '../../runner';

const compose = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const configSource = fs.readFileSync(path.join(ROOT, 'config.ts'), 'utf8');

describe('docker-compose.yml', () => {
  const plan2Vars = new Map<string, string>();
  // Plan2's own variables: the x-plan2 anchor and the role blocks (after "Plan2 roles").
  const plan2Part = compose.slice(0, compose.indexOf('services:')) + compose.slice(compose.indexOf('# --- Plan2 roles'));
  for (const m of plan2Part.matchAll(/^\s+([A-Z][A-Z0-9_]+):\s*(.+)$/gm)) plan2Vars.set(m[1], m[2].trim().replace(/^"|"$/g, ''));

  it('sets only variables config.ts reads', () => {
    expect(plan2Vars.size).toBeGreaterThan(5);
    for (const name of plan2Vars.keys()) expect(configSource).toContain(`'${name}'`);
  });

  it('passes config validation with its values', () => {
    const env = Object.fromEntries(plan2Vars);
    expect(() => loadConfig(env)).not.toThrow();
    expect(loadConfig(env).transporter).toBe('nats://nats:4222');
  });

  it('gives every role a SERVICES selection that matches real services, and together they cover all of them', () => {
    const keys = discoverServices().map((s) => s.key);
    const roles = [...compose.matchAll(/SERVICES:\s*(.+)$/gm)].map((m) => m[1].trim().split(','));
    expect(roles.length).toBeGreaterThanOrEqual(4);
    for (const patterns of roles) for (const p of patterns) expect(keys.some((k) => selectService(k, [p]))).toBe(true);
    const uncovered = keys.filter((k) => !roles.some((r) => selectService(k, r)));
    expect(uncovered).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const df = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  it('ships what npm start needs and starts the CLI', () => {
    for (const p of ['dist', 'migrations', 'data', 'web/dist', 'node_modules']) expect(df).toContain(`COPY --from=build /app/${p}`);
    expect(df).toMatch(/ENTRYPOINT \["node", "dist\/cli\/plan2.js"\]/);
    expect(df).toMatch(/EXPOSE 8000 8001/);
  });
});
