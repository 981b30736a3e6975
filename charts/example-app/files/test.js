// `helm test`: asks the running app what it found and fails unless every expected file is there.
'use strict';
const url = process.env.APP_URL;
const expect = JSON.parse(process.env.APP_EXPECT || '{}');

async function main() {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const { found } = await res.json();
  const missing = [];
  for (const [volume, wanted] of Object.entries(expect)) {
    const files = (found[volume] && found[volume].files) || [];
    for (const want of wanted) if (!files.some((f) => f.path === want)) missing.push(`${volume}:${want}`);
  }
  if (missing.length > 0) throw new Error(`the app lacks ${missing.join(', ')}`);
  console.log(`ok: the app found every expected file (${Object.values(expect).flat().length})`);
}
main().catch((error) => {
  console.error(`helm test failed: ${error.message}`);
  process.exitCode = 1;
});
