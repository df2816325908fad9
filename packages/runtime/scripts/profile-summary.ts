/**
 * Time per op type in ONNX Runtime profiles (the files `Runtime.create({ profile })` writes):
 *
 *   pnpm --filter @genmodels/runtime exec tsx --conditions=source scripts/profile-summary.ts [--skip 3] [--min-nodes 50] FILE...
 *
 * One table per session file with at least --min-nodes nodes (the train steps; small
 * helper sessions are left out), leaving out the first --skip runs (warm-up).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProfile, summarizeProfile } from '../src/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    skip: { type: 'string', default: '3' },
    'min-nodes': { type: 'string', default: '50' },
    top: { type: 'string', default: '5' },
  },
});
if (positionals.length === 0) {
  console.error('usage: profile-summary.ts [--skip N] [--min-nodes N] FILE...');
  process.exit(2);
}
for (const file of positionals) {
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), {
    skipRuns: Number(values.skip),
    top: Number(values.top),
  });
  if (s.nodes < Number(values['min-nodes'])) continue;
  console.log(`## ${file}`);
  console.log(formatProfile(s));
  console.log('most expensive nodes:');
  for (const n of s.topNodes)
    console.log(`  ${(n.usPerRun / 1000).toFixed(3)} ms  ${n.opType}  ${n.name}`);
  console.log();
}
