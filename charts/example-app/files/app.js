// The example app: reports what the init containers left in the shared volumes (names, sizes,
// modes; never a secret's content), then serves /healthz (ready when every expected file is
// there) and /found (the same report as JSON) until SIGTERM; with --report it prints and exits.
'use strict';
const { createServer } = require('node:http');
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const volumes = JSON.parse(process.env.APP_VOLUMES || '{}');
const expect = JSON.parse(process.env.APP_EXPECT || '{}');
const port = Number(process.env.APP_PORT || 8080);
// Every interface by default; APP_HOST=127.0.0.1 keeps a pod on the node's network (hostNetwork) to loopback.
const host = process.env.APP_HOST || undefined;

/** Files under dir, recursively, as relative paths; hidden staging entries (.*) skipped. */
function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

function report() {
  const found = {};
  const missing = [];
  for (const [volume, dir] of Object.entries(volumes)) {
    let files = [];
    try {
      files = listFiles(dir).map((rel) => {
        const st = statSync(join(dir, rel));
        return { path: rel, bytes: st.size, mode: (st.mode & 0o777).toString(8).padStart(4, '0') };
      });
    } catch (error) {
      found[volume] = { dir, error: error.code || String(error) };
      continue;
    }
    found[volume] = { dir, files };
    for (const want of expect[volume] || []) {
      if (!files.some((f) => f.path === want)) missing.push(`${volume}:${want}`);
    }
  }
  return { found, missing, ready: missing.length === 0 };
}

const initial = report();
// --report (the CronJob's container): print what the init steps left, then exit (1 if anything expected is missing).
if (process.argv.includes('--report')) {
  process.stdout.write(`${JSON.stringify({ msg: 'report', ...initial })}\n`);
  process.exit(initial.ready ? 0 : 1);
}
process.stdout.write(`${JSON.stringify({ msg: 'app started', ...initial })}\n`);

const server = createServer((req, res) => {
  const current = report();
  if (req.url === '/healthz') {
    res.writeHead(current.ready ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(current.ready ? 'ok\n' : `missing: ${current.missing.join(', ')}\n`);
  } else if (req.url === '/found') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(current)}\n`);
  } else {
    res.writeHead(404).end();
  }
});
server.listen(port, host, () => process.stdout.write(`${JSON.stringify({ msg: 'listening', host, port })}\n`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
