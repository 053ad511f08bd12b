/**
 * Start a worker thread on a module of this project, from compiled JavaScript
 * (dist/) or, under ts-aware runners (tests), from TypeScript compiled on load
 * with swc.
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The module `name` next to `dir` in the current mode (`.ts` from source, `.js` from dist). */
export function siblingModule(dir: string, name: string, self: string): string {
  const ext = self.endsWith('.ts') ? '.ts' : '.js';
  const file = `${dir}/${name}${ext}`;
  if (!fs.existsSync(file)) throw new Error(`worker module ${file} not found`);
  return file;
}

export function startWorker(file: string, workerData: unknown): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, { workerData });
  const boot = `
    const fs = require('node:fs');
    const { transformSync } = require('@swc/core');
    require.extensions['.ts'] = (m, filename) => {
      const out = transformSync(fs.readFileSync(filename, 'utf8'), { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
      m._compile(out.code, filename);
    };
    require(${JSON.stringify(file)});`;
  return new Worker(boot, { eval: true, workerData });
}
