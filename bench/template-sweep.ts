/**
 * The RTDS template sweep: every DUIS request template of npm @smartdcc/duis-templates, each in a
 * fresh ZAZ1 world, signed as its originator (dcc-sim's signer with the keystore's keys, as
 * `dcc-sim send` does; the DCC's own tool takes ~1.5 s per call, which is the e2e tests' job) and
 * handed to the DCC in-process, both legs for critical ones. Per template: carried out (final I0),
 * refused by a registered service (an E code, sync or from the device), or not carried out (no
 * module: E100 at parse:unsupported). Writes bench/template-sweep.md. `npm run sweep`.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildRequest, DEFAULT_MAX_DUIS_BYTES, parseDuisResponse, signDuis } from '../service-requests/index.ts';
import { Dcc } from '../src/dcc/index.ts';
import { World } from '../src/world/index.ts';
import { endpointFor, prepareRequest, signPreCommand, xmlSignerOf } from '../src/client.ts';
import { zaz1WorldFile } from '../test/helpers/gateway-zaz1.ts';

type Verdict = 'carried out' | 'refused' | 'not carried out';
const TEMPLATES = join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates');
const template = zaz1WorldFile();
const scratch = mkdtempSync(join(tmpdir(), 'dcc-sim-sweep-'));

function sweep(name: string): { verdict: Verdict; detail: string } {
  const file = join(scratch, 'w.db');
  copyFileSync(template, file);
  const world = World.open(file);
  try {
    const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: DEFAULT_MAX_DUIS_BYTES });
    const p = prepareRequest(readFileSync(join(TEMPLATES, name), 'utf8'), { counter: BigInt(Date.now()) });
    const signer = xmlSignerOf(world, p.originator);
    let a = dcc.handle(endpointFor(p.commandVariant), Buffer.from(signDuis(p.xml, signer)));
    const log = () => dcc.gateway.getRequest(a.requestLogId);
    if (a.responseCode === 'E100' && log()?.failedStep === 'parse:unsupported') return { verdict: 'not carried out', detail: 'no module' };
    if (p.commandVariant === 4 && a.responseCode === 'I0') {
      const r = parseDuisResponse(a.xml);
      const body = r.body;
      if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) return { verdict: 'refused', detail: 'I0 without a pre-command' };
      const leg = buildRequest({
        requestId: p.requestId, commandVariant: 5, serviceReference: body.serviceReference, serviceReferenceVariant: body.serviceReferenceVariant,
        body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(world, body.content.preCommand.gbcsPayload) },
      });
      a = dcc.handle('serviceS', Buffer.from(signDuis(leg, signer)));
    }
    const logged = log();
    const final = logged?.finalResponseCode ?? a.responseCode;
    const asyncCodes = dcc.gateway.responsesFor(p.requestId).map((r) => r.responseCode);
    if (final === 'I0' || (final === 'I99' && asyncCodes.includes('I0'))) return { verdict: 'carried out', detail: [a.responseCode, ...asyncCodes].join(' ') };
    return { verdict: 'refused', detail: `${final}${logged?.finalReason ?? logged?.reason ? `: ${logged?.finalReason ?? logged?.reason}` : ''}` };
  } catch (e) {
    return { verdict: 'refused', detail: `threw: ${(e as Error).message}` };
  } finally {
    world.close();
    rmSync(file, { force: true });
  }
}

const names = readdirSync(TEMPLATES).filter((f) => f.endsWith('.XML')).sort();
const rows = names.map((name) => {
  const srv = /<sr:ServiceReferenceVariant>([^<]+)</.exec(readFileSync(join(TEMPLATES, name), 'utf8'))?.[1] ?? '?';
  return { name, srv, section: srv.split('.')[0]!, ...sweep(name) };
});
rmSync(scratch, { recursive: true, force: true });
rmSync(dirname(template), { recursive: true, force: true });

const sections = [...new Set(rows.map((r) => r.section))].sort((a, b) => Number(a) - Number(b));
const count = (s: string, v: Verdict) => rows.filter((r) => r.section === s && r.verdict === v).length;
const lines = [
  '# RTDS template sweep',
  '',
  `${new Date().toISOString()}, \`npm run sweep\`: ${rows.length} templates of @smartdcc/duis-templates, each in a fresh ZAZ1 world, signed as its originator, both legs for critical ones.`,
  '',
  '| section | templates | carried out | refused | not carried out |',
  '|---|---|---|---|---|',
  ...sections.map((s) => `| ${s} | ${rows.filter((r) => r.section === s).length} | ${count(s, 'carried out')} | ${count(s, 'refused')} | ${count(s, 'not carried out')} |`),
  `| all | ${rows.length} | ${rows.filter((r) => r.verdict === 'carried out').length} | ${rows.filter((r) => r.verdict === 'refused').length} | ${rows.filter((r) => r.verdict === 'not carried out').length} |`,
  '',
  '## Templates of registered services not carried out as sent',
  '',
  ...rows.filter((r) => r.verdict === 'refused').map((r) => `- ${r.name} (${r.srv}): ${r.detail}`),
  '',
];
writeFileSync(new URL('./template-sweep.md', import.meta.url), lines.join('\n'));
console.log(lines.slice(0, 8 + sections.length + 1).join('\n'));
