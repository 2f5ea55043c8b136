import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { World, WorldError } from '../world/index.ts';
import type { SendLeg } from '../client.ts';
import { dbOption, jsonOption, out, withWorld } from './options.ts';

// `send` and `sign-precommand`: act as a party of the world towards a running DCC (the client loads lazily).

export function registerSend(program: Command): void {
  program
    .command('send')
    .argument('<request>', 'a DUIS request: an XML file (signed or not; a template will do)')
    .description('sign a DUIS request (a template will do) as a party of the world and send it; critical requests go through both legs')
    .addOption(dbOption())
    .option('--as <eui>', 'the sending party (default: the RequestID originator)')
    .option('--url <url>', 'dcc-sim base URL', 'http://127.0.0.1:8079')
    .option('--preserve-counter', 'keep the RequestID counter instead of a fresh one')
    .option('--wait <seconds>', 'wait this long for the asynchronous responses and print them', '5')
    .option('--xml', 'print the raw DUIS documents (the synchronous answer and the asynchronous responses) instead of the summary')
    .addOption(jsonOption())
    .action(async (file: string, o: { db: string; as?: string; url: string; preserveCounter?: boolean; wait: string; xml?: boolean; json?: boolean }) => {
      const { sendRequest, describeData } = await import('../client.ts');
      const base = o.url.replace(/\/$/, '');
      const world = World.open(o.db, { readonly: true });
      let legs;
      try {
        legs = await sendRequest(world, { xml: readFileSync(file, 'utf8'), as: o.as, baseUrl: base, preserveCounter: o.preserveCounter });
      } finally {
        world.close();
      }
      const last = legs[legs.length - 1]!;
      const requestId = last.response?.requestId?.text;
      let asyncResponses: AsyncResponse[] = [];
      if (last.responseCode === 'I99' && requestId && Number(o.wait) > 0) {
        const deadline = Date.now() + Number(o.wait) * 1000;
        while (Date.now() < deadline) {
          asyncResponses = (await getJson<AsyncResponse[]>(`${base}/api/responses?requestId=${encodeURIComponent(requestId)}`)) ?? [];
          if (asyncResponses.length) break;
          await new Promise((res) => setTimeout(res, 200));
        }
      }
      const final = await finalOutcome(base, requestId, last, asyncResponses);
      if (o.xml) {
        // the raw documents, as `send` printed them before it had a summary
        process.stdout.write(
          [
            ...legs.map((l) => `${l.endpoint}: ${l.responseCode}${l.reason ? ` (${l.reason})` : ''}`),
            ...asyncResponses.map((a) => `asynchronous ${a.kind}: ${a.responseCode}\n${a.xml}`),
            legs.length && !asyncResponses.length ? last.responseXml : '',
          ].filter(Boolean).join('\n') + '\n',
        );
      } else {
        const data = describeData(legs, asyncResponses);
        out(o.json, { legs: legs.map(({ response: _r, ...l }) => l), final, data, asyncResponses }, () => summary(legs, final, asyncResponses, data));
      }
      // a failure is the final outcome's: acknowledged and then discarded by the device fails too
      if (!/^I(0|99)$/.test(last.responseCode) || final.outcome === 'failure') process.exitCode = 2;
    });

  program
    .command('sign-precommand')
    .argument('<hex>', 'the GBCS pre-command the DCC returned, as hex')
    .description("sign a GBCS pre-command (hex) with its originator's digital-signing key from the world; prints the signed pre-command (hex)")
    .addOption(dbOption())
    .action(async (hex: string, o: { db: string }) => {
      const { signPreCommand } = await import('../client.ts');
      withWorld(o.db, (w) => {
        const clean = hex.replace(/\s+/g, '');
        if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new WorldError('bad-argument', 'the pre-command must be hex');
        process.stdout.write(signPreCommand(w, Buffer.from(clean, 'hex')).toString('hex').toUpperCase() + '\n');
      });
    });
}

interface AsyncResponse {
  kind: string;
  responseCode: string;
  requestId: string | null;
  xml: string;
}

interface FinalOutcome {
  requestId: string | null;
  service: string | null;
  device: string | null;
  responseCode: string;
  outcome: 'success' | 'failure';
  reason: string | null;
  deviceAlertCode: string | null;
  changedCells: string[];
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return r.ok ? ((await r.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request's final outcome from dcc-sim's request log (the device's answer is committed with the
 * acknowledgement); against a DCC without that log, from the asynchronous response, else the answer.
 */
async function finalOutcome(base: string, requestId: string | undefined, last: SendLegSummary, asyncResponses: AsyncResponse[]): Promise<FinalOutcome> {
  type Logged = { serviceReferenceVariant: string | null; device: string | null; finalResponseCode?: string; finalReason?: string | null; deviceAlertCode?: string | null; outcome?: 'success' | 'failure'; changedCells: string[] | null };
  const logged = requestId ? (await getJson<Logged[]>(`${base}/api/requests?requestId=${encodeURIComponent(requestId)}&limit=1`))?.[0] : undefined;
  const services = await getJson<{ variant: string; displayName: string }[]>(`${base}/api/services`);
  const variant = logged?.serviceReferenceVariant ?? null;
  const name = variant ? `${variant} ${services?.find((s) => s.variant === variant)?.displayName ?? ''}`.trim() : null;
  const code = logged?.finalResponseCode ?? asyncResponses.find((a) => a.kind === 'response')?.responseCode ?? last.responseCode;
  return {
    requestId: requestId ?? null,
    service: name,
    device: logged?.device ?? null,
    responseCode: code,
    outcome: logged?.outcome ?? (/^E/.test(code) || !/^I/.test(code) ? 'failure' : 'success'),
    reason: logged ? (logged.finalReason ?? null) : last.reason,
    deviceAlertCode: logged?.deviceAlertCode ?? null,
    changedCells: logged?.changedCells ?? [],
  };
}

type SendLegSummary = Pick<SendLeg, 'endpoint' | 'responseCode' | 'reason'>;

/** What a person wants to read: the acknowledgement, the final outcome and why, what changed. */
function summary(legs: SendLegSummary[], f: FinalOutcome, asyncResponses: AsyncResponse[], data: string[]): string {
  const row = (label: string, value: string) => `${label.padEnd(17)}${value}`;
  const lines: string[] = [];
  if (f.service) lines.push(`${f.service}${f.device ? ` → ${f.device}` : ''}`);
  if (f.requestId) lines.push(row('RequestID', f.requestId));
  for (const l of legs) lines.push(row(legs.length > 1 ? `answer (${l.endpoint})` : 'acknowledgement', `${l.responseCode}${l.reason ? ` refused: ${l.reason}` : ''}`));
  lines.push(row('final outcome', `${f.responseCode} ${f.outcome === 'failure' ? 'FAILURE' : 'success'}`));
  if (f.outcome === 'failure' && f.reason) lines.push(row('reason', f.reason));
  if (f.deviceAlertCode) lines.push(row('device alert', `${f.deviceAlertCode} (the GBCS alert code of the device's refusal)`));
  if (asyncResponses.length) lines.push(row('asynchronous', asyncResponses.map((a) => `${a.kind} ${a.responseCode}`).join(', ')));
  lines.push(row('cells changed', f.changedCells.length ? f.changedCells.join(', ') : 'none'));
  for (const d of data) lines.push(row('data', d));
  lines.push('(--xml for the DUIS documents)');
  return lines.join('\n');
}
