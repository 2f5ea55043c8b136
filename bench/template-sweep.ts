/**
 * `npm run sweep`: the RTDS template sweep (test/helpers/template-sweep.ts), every template in a fresh ZAZ1
 * world; writes the per-section figures and every template not carried out to bench/template-sweep.md.
 */
import { writeFileSync } from 'node:fs';
import { sweeper, sweepTable, templateNames } from '../test/helpers/template-sweep.ts';

const s = sweeper();
const started = Date.now();
const rows = templateNames().map((name) => s.sweep(name));
s.close();
const seconds = ((Date.now() - started) / 1000).toFixed(1);

const lines = [
  '# RTDS template sweep',
  '',
  `${new Date().toISOString()}, \`npm run sweep\` (${seconds} s): ${rows.length} templates of @smartdcc/duis-templates, each in a fresh ZAZ1 world, signed as its originator, both legs for critical ones.`,
  '',
  ...sweepTable(rows),
  '',
  '## Templates of registered services not carried out as sent',
  '',
  ...rows.filter((r) => r.verdict === 'refused').map((r) => `- ${r.name} (${r.srv}): ${r.detail}`),
  '',
  '## Templates with no service module yet',
  '',
  ...rows.filter((r) => r.verdict === 'not carried out').map((r) => `- ${r.name} (${r.srv})`),
  '',
];
writeFileSync(new URL('./template-sweep.md', import.meta.url), lines.join('\n'));
console.log(lines.slice(0, 6 + sweepTable(rows).length).join('\n'));
