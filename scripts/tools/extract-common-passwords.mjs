// Writes data/common-passwords.txt: the common-password list that Vellum's
// password policy rejects (NIST SP 800-63B: "passwords obtained from previous
// breach corpuses" and "commonly-used" values), taken from zxcvbn's
// `passwords` frequency list, lower-cased, deduplicated and sorted by bytes
// (the order the C++ binary search expects; see src/identity/common_passwords.h).
//
// Usage (from the repository root):
//   (cd tests/tools/node && npm ci)
//   node scripts/tools/extract-common-passwords.mjs
// The output is committed; CMake embeds it at build time (no runtime file).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodeDir = join(root, 'tests', 'tools', 'node');
const require = createRequire(join(nodeDir, 'package.json'));

const expected = '4.4.2';
const { version } = JSON.parse(
  readFileSync(join(nodeDir, 'node_modules', 'zxcvbn', 'package.json'), 'utf8'));
if (version !== expected) {
  console.error(`zxcvbn ${version} is installed; this list is pinned to ${expected}`);
  process.exit(1);
}

const lists = require('zxcvbn/lib/frequency_lists.js');
// The module has exported both a comma-joined string and an array across releases.
const raw = Array.isArray(lists.passwords) ? lists.passwords : lists.passwords.split(',');

const words = new Set();
for (const w of raw) {
  const lower = w.toLowerCase();
  // One entry per line: a line break inside an entry would split it.
  if (lower === '' || /[\r\n]/.test(lower)) continue;
  words.add(lower);
}
const sorted = [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

const out = join(root, 'data', 'common-passwords.txt');
writeFileSync(out, sorted.map((w) => w + '\n').join(''));
console.log(`wrote ${sorted.length} passwords to ${out}`);
