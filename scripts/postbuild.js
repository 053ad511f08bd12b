// After tsc: make the CLI executable and build the dashboard bundle if present.
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'dist', 'cli', 'plan2.js');
if (fs.existsSync(bin)) fs.chmodSync(bin, 0o755);
const web = path.join(root, 'web', 'build.js');
if (fs.existsSync(web)) require(web);
