/** Locations inside the installed project, valid from source (ts-node/jest) and from dist/. */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'plan2') return dir;
      } catch {
        /* not ours; keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`plan2 package.json not found above ${start}`);
    dir = up;
  }
}

/** The project root (the folder holding package.json). */
export const ROOT = findRoot(__dirname);
/** Where compiled or source code lives: dist/ when running compiled, the root under ts. */
export const CODE_ROOT = __filename.endsWith('.ts') ? ROOT : path.join(ROOT, 'dist');
/** Extension of runnable modules in this mode. */
export const CODE_EXT = __filename.endsWith('.ts') ? '.ts' : '.js';
export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
export const DATA_BUNDLE_DIR = path.join(ROOT, 'data');
/** `../shared/data` next to the project (tests only; never needed by `npm start`). */
export const SHARED_DATA_DIR = path.resolve(ROOT, '..', 'shared', 'data');
