// Independent RFC 8785 oracle for Vellum's tests (json_oracle_test.cc).
//
// Reads JSON Lines on stdin and writes one line per input line: the RFC 8785
// form produced by npm canonicalize@4.0.0 (JSON.parse, then canonicalize), or
// "!" and the error message when either rejects the line. Lines are split on
// "\n" only, so a line may hold any other whitespace; canonical output never
// holds a raw newline (it is escaped), so the output lines match input lines.
//
// Usage: node canonicalize_lines.mjs < in.jsonl > out.txt
import canonicalize from 'canonicalize';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString('utf8');

const lines = text.split('\n');
if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

const out = lines.map((line) => {
  try {
    const result = canonicalize(JSON.parse(line));
    if (typeof result !== 'string') return '!no canonical form';
    return result;
  } catch (e) {
    return '!' + String(e.message).replace(/\n/g, ' ');
  }
});
process.stdout.write(out.map((l) => l + '\n').join(''));
