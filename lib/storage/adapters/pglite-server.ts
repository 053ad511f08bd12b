/**
 * Embedded PostgreSQL: PGlite (WASM Postgres) persisted in `DATA_DIR/db`, served
 * on 127.0.0.1 through pglite-socket so the ordinary `pg` client talks to it.
 *
 * PGlite's data folder belongs to one process. The serving process writes
 * `DATA_DIR/db.json` `{host, port, pid}`; another process (the CLI while the
 * platform runs) connects to that server instead of opening the folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processAlive } from '../../util/process';

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

interface Endpoint {
  host: string;
  port: number;
  pid: number;
}

/** The URL of an embedded server another live process is serving for this data dir, if any. */
export function runningEmbeddedUrl(dataDir: string): string | null {
  const file = path.join(dataDir, 'db.json');
  try {
    const ep = JSON.parse(fs.readFileSync(file, 'utf8')) as Endpoint;
    if (ep.pid !== process.pid && processAlive(ep.pid)) return `postgres://postgres@${ep.host}:${ep.port}/postgres?sslmode=disable`;
  } catch {
    /* no server recorded */
  }
  return null;
}

/** Open PGlite in `dataDir/db` and serve it on an ephemeral local port. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedServer> {
  fs.mkdirSync(dataDir, { recursive: true });
  // Loaded lazily: PGlite's WASM costs ~100 ms and is unused when DATABASE_URL is set.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create({ dataDir: path.join(dataDir, 'db') });
  const host = '127.0.0.1';
  let server: InstanceType<typeof PGLiteSocketServer> | null = null;
  let port = 0;
  // pglite-socket needs a concrete port; pick a free one and retry on a race.
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    port = await freePort(host);
    const s = new PGLiteSocketServer({ db, host, port, maxConnections: 16 });
    try {
      await s.start();
      server = s;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  if (!server) throw new Error('could not bind the embedded database server');
  const file = path.join(dataDir, 'db.json');
  fs.writeFileSync(file, JSON.stringify({ host, port, pid: process.pid } satisfies Endpoint));
  const running = server;
  return {
    url: `postgres://postgres@${host}:${port}/postgres?sslmode=disable`,
    async stop() {
      try {
        const ep = JSON.parse(fs.readFileSync(file, 'utf8')) as Endpoint;
        if (ep.pid === process.pid) fs.unlinkSync(file);
      } catch {
        /* already gone */
      }
      await running.stop();
      await db.close();
    },
  };
}

async function freePort(host: string): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
