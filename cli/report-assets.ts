/** Assets the HTML reports inline, read from node_modules when a report is written. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './command';

/**
 * Source of lightweight-charts' standalone production build. Resolved through
 * the package's package.json (its `exports` hide the dist files from
 * require.resolve). A missing package is a clear error, not a broken report.
 */
export function loadChartLibrary(): string {
  let pkg: string;
  try {
    pkg = require.resolve('lightweight-charts/package.json');
  } catch {
    throw new UsageError('--html needs the lightweight-charts package (a devDependency): install dev dependencies to write HTML reports');
  }
  const file = path.join(path.dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js');
  if (!fs.existsSync(file)) throw new UsageError(`--html: ${file} is missing; reinstall lightweight-charts`);
  return fs.readFileSync(file, 'utf8');
}
