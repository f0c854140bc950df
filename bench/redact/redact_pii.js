// redact_pii.js: the npm package redact-pii (if installed by run.sh) over FILE, line by line.
// Usage: node redact_pii.js FILE MODULE_DIR
const fs = require('fs');
const path = require('path');
const { SyncRedactor } = require(path.join(process.argv[3], 'node_modules', 'redact-pii'));
const data = fs.readFileSync(process.argv[2], 'utf8');
const lines = data.split('\n');
const r = new SyncRedactor();
const t0 = process.hrtime.bigint();
let out = 0;
for (const l of lines) out += r.redact(l).length;
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
const mb = Buffer.byteLength(data) / 1e6;
console.log(`${mb.toFixed(1)} MB in ${dt.toFixed(3)} s = ${(mb / dt).toFixed(1)} MB/s (${out} bytes out)`);
