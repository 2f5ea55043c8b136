import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui } from '../../pki/index.ts';
import { startHarness, findDevice } from '../helpers/gateway.ts';

// A command issued for local delivery (DUIS CV 2) and carried to the meter by the installer's hand-held
// terminal (POST /api/han/local-delivery): the meter checks it on receipt. Its supplier's command is
// answered, and the answer goes back to the DCC by 8.13. (The change-of-supplier scenario shows the meter
// refusing one after a real 6.23, the request's final outcome saying why.)

let h: Awaited<ReturnType<typeof startHarness>>;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

async function deliver(gbcs: Buffer) {
  const res = await fetch(`${h.server.url}/api/han/local-delivery`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gbcsPayload: gbcs.toString('base64') }) });
  return { status: res.status, body: (await res.json()) as { accepted?: boolean; response?: string; reason?: string; alertCode?: string; requestId?: string; error?: string } };
}

async function localCommand(supplier: string, esme: string) {
  const counter = h.nextCounter();
  const a = await h.post('serviceD', h.signAs(supplier, h.build({ requestId: { originator: supplier, target: esme, counter }, commandVariant: 2, body: { kind: 'ReadInstantaneousImportRegisters' } })));
  expect(a.code, a.reason ?? '').toBe('I0');
  const body = a.response.body;
  const content = body.kind === 'ResponseMessage' ? body.content : undefined;
  if (!content || !('localCommand' in content)) throw new Error('no LocalCommand in the DCC answer');
  return { counter, command: content.localCommand.gbcsPayload };
}

describe('local delivery over the HAN', () => {
  it("the meter answers its supplier's command, which the supplier returns by 8.13", async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'Commissioned' && !!d.mpxn && holders.supplierDS === h.world.store.getSupplyPoint(d.mpxn)?.supplierEui);
    const supplier = h.world.store.getSupplyPoint(esme.mpxn!)!.supplierEui!;
    const { counter, command } = await localCommand(supplier, esme.eui);
    const d = await deliver(command);
    expect(d.status).toBe(200);
    expect(d.body.accepted).toBe(true);
    const back = await h.post('serviceD', h.signAs(supplier, h.build({
      requestId: { originator: supplier, target: '90B3D51F30000002', counter: h.nextCounter() },
      commandVariant: 8,
      body: { kind: 'ReturnLocalCommandResponse', originalRequestId: { originator: supplier, target: esme.eui, counter, text: `${dashedEui(supplier)}:${dashedEui(esme.eui)}:${counter}` }, deviceGbcsResponse: Buffer.from(d.body.response!, 'base64') },
    })));
    expect(back.code, back.reason ?? '').toBe('I0');
    // a command delivered twice is a replay: the meter discards it
    expect((await deliver(command)).body.accepted).toBe(false);
  });

  it('refuses what the DCC did not issue for local delivery', async () => {
    const d = await deliver(Buffer.from('not gbcs'));
    expect(d.status).toBe(400);
  });
});
