import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui, rawPublicKey, type Eui } from '../../pki/index.ts';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { parseDuisResponse } from '../../service-requests/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';

// What the demo seed leaves besides the fleet, as later work in the field leaves it, so that the services that
// act on it are carried out in a fresh world: a PPMID installed and joined to its meters, a comms hub and GPF
// replaced, an ESME holding a key pair it generated on 6.17. Each is checked by the service that acts on it,
// sent from the request library over a real server, and by what the emulated device then holds.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: 0 });
}, 60_000);
afterAll(async () => h?.close());

const post = async (p: string, body: unknown) => {
  const res = await fetch(`${h.server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

/** The library's example for the service (for the device asked for, or one it picks), signed and sent. */
async function libraryRun(example: string, device?: string) {
  const ex = await post('/api/console/library/example', { example, ...(device ? { device } : {}) });
  expect(ex.status, JSON.stringify(ex.body)).toBe(200);
  const sent = await post('/api/console/library/send', { xml: ex.body.xml });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  return { device: ex.body.device as string, xml: ex.body.xml as string, requestId: sent.body.requestId as string, succeeded: sent.body.succeeded as boolean, code: sent.body.finalResponseCode as string, reason: sent.body.finalReason as string | null };
}

const app = (eui: string) => JSON.parse(h.world.store.getDeviceAppState(eui) ?? '{}') as {
  han?: { joined: { eui: string; type: number }[] };
  chfDeviceLog?: { entries: { eui: string; linkKeyHash: string }[] };
};
const joined = (eui: string) => (app(eui).han?.joined ?? []).map((j) => j.eui);
const onHub = (hub: string | null, type: 'ESME' | 'GSME' | 'GPF') => h.world.store.listDevices({ type, limit: 100_000 }).devices.find((d) => d.commsHubEui === hub)!;

describe('the demo seed leaves field work for the services that follow it', () => {
  it('a commissioned PPMID joined to its meters: 8.8.1 unjoins it from the ESME, 8.7.1 joins it again, 11.4 reaches it', async () => {
    const ppmids = h.world.store.listDevices({ type: 'PPMID', status: 'Commissioned', limit: 100 }).devices;
    expect(ppmids.length).toBeGreaterThan(0);
    const ppmid = ppmids[0]!;
    const esme = onHub(ppmid.commsHubEui, 'ESME');
    const gsme = onHub(ppmid.commsHubEui, 'GSME');
    // installed as install-dual-fuel installs one: with the MPRN, in the hub's log, joined both ways
    expect(ppmid.mpxn).toBe(gsme.mpxn);
    expect(app(ppmid.commsHubEui!).chfDeviceLog?.entries.map((e) => e.eui)).toEqual([esme.eui, gsme.eui, ppmid.eui]);
    expect(joined(esme.eui)).toEqual([ppmid.eui]);
    expect(joined(ppmid.eui)).toEqual([esme.eui, gsme.eui]);

    const unjoin = await libraryRun('8.8.1', esme.eui);
    expect(unjoin.xml).toContain(dashedEui(ppmid.eui as Eui));
    expect([unjoin.succeeded, unjoin.code, unjoin.reason]).toEqual([true, 'I0', null]);
    expect(joined(esme.eui)).toEqual([]);
    const join = await libraryRun('8.7.1', esme.eui);
    expect([join.succeeded, join.code]).toEqual([true, 'I0']);
    expect(joined(esme.eui)).toEqual([ppmid.eui]);

    const firmware = await libraryRun('11.4');
    expect(firmware.device).toBe(dashedEui(ppmid.eui as Eui));
    expect([firmware.succeeded, firmware.code]).toEqual([true, 'I0']);
  });

  it('a replaced comms hub and GPF: 8.12.1 and 8.12.2 give the replacements the old ones\' device logs', async () => {
    const oldHub = h.world.store.listDevices({ type: 'CHF', status: 'Withdrawn', limit: 10 }).devices;
    const oldGpf = h.world.store.listDevices({ type: 'GPF', status: 'Withdrawn', limit: 10 }).devices;
    expect([oldHub.length, oldGpf.length]).toEqual([1, 1]);
    const esme = onHub(oldHub[0]!.eui, 'ESME');
    expect(esme, 'the meters moved to the new hub').toBeUndefined();
    const newGpf = h.world.store.listDevices({ type: 'GPF', mpxn: oldGpf[0]!.mpxn!, limit: 10 }).devices.find((d) => d.status === 'Commissioned')!;
    const gsme = onHub(newGpf.commsHubEui, 'GSME');
    const oldLog = app(oldHub[0]!.eui).chfDeviceLog!.entries;
    expect(oldLog.map((e) => e.eui)).toContain(gsme.eui);
    expect(app(newGpf.commsHubEui!).chfDeviceLog).toBeUndefined();

    const hub = await libraryRun('8.12.1');
    expect(hub.device).toBe(dashedEui(newGpf.commsHubEui as Eui));
    expect(hub.xml).toContain(dashedEui(oldHub[0]!.eui as Eui));
    expect([hub.succeeded, hub.code]).toEqual([true, 'I0']);
    // the same devices, with the link keys the old hub held: they rejoin without new install codes
    expect(app(newGpf.commsHubEui!).chfDeviceLog!.entries.map((e) => [e.eui, e.linkKeyHash])).toEqual(oldLog.map((e) => [e.eui, e.linkKeyHash]));

    expect(joined(newGpf.eui)).toEqual([]);
    const gpf = await libraryRun('8.12.2');
    expect(gpf.device).toBe(dashedEui(newGpf.eui as Eui));
    expect([gpf.succeeded, gpf.code]).toEqual([true, 'I0']);
    expect(joined(newGpf.eui)).toEqual([gsme.eui]);
  });

  it('an ESME that generated a key pair on 6.17: 6.15.2\'s example places a device certificate for that key, and the ESME takes it', async () => {
    const generated = h.world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 100_000 }).devices
      .filter((d) => Object.keys(h.world.store.deviceKeyGenerations(d.eui)).length > 0);
    expect(generated.map((d) => h.world.store.deviceKeyGenerations(d.eui))).toEqual([{ DS: 1 }]);
    const esme = generated[0]!.eui as Eui;
    const newKey = h.world.deviceKeys(esme).dsKey.point;
    const before = h.world.deviceCertificates(esme).dsCertificate;
    expect(rawPublicKey(h.world.certificateFacts(before.id).publicKey).equals(newKey)).toBe(false);

    const placed = await libraryRun('6.15.2');
    expect(placed.device).toBe(dashedEui(esme));
    expect([placed.succeeded, placed.code, placed.reason]).toEqual([true, 'I0', null]);
    // the ESME's own answer (CS02d): status 0, the certificate taken (3 when it does not certify the key it holds)
    const answer = h.server.dcc.gateway.responsesFor(placed.requestId).find((r) => r.kind === 'response' && r.responseCode === 'I0')!;
    const content = parseDuisResponse(answer.body).body as { content?: { gbcsPayload?: Buffer } };
    expect(decodeGbcsMessage(content.content!.gbcsPayload!).body).toEqual({ kind: 'cs02d-response', response: { status: 0 } });
    const now = h.world.deviceCertificates(esme).dsCertificate;
    expect(now.id).not.toBe(before.id);
    expect(rawPublicKey(h.world.certificateFacts(now.id).publicKey).equals(newKey)).toBe(true);
  });

  it('8.13 where no device has answered a command delivered locally: the library has a read delivered first, says so, and returns that answer', async () => {
    const gateway = h.server.dcc.gateway;
    expect(gateway.localResponses()).toEqual([]);
    const ex = await post('/api/console/library/example', { example: '8.13' });
    expect(ex.status, JSON.stringify(ex.body)).toBe(200);
    expect(ex.body.prepared).toMatch(/obtained 4\.1\.1 for local delivery \(CV 2\) and the installer's terminal gave it to ESME/);
    const [local] = gateway.localResponses();
    // the read is in the request log, as the User's own request, and the example returns the meter's answer to it
    const obtained = gateway.listRequests({ requestId: local!.requestId, limit: 1 })[0]!;
    expect([obtained.serviceVariant, obtained.commandVariant, obtained.finalResponseCode]).toEqual(['4.1.1', 2, 'I0']);
    expect(ex.body.device).toBe(dashedEui(local!.targetEui as Eui));
    expect(ex.body.xml).toContain(`<sr:OriginalRequestID>${local!.requestId}</sr:OriginalRequestID>`);
    expect(ex.body.xml).toContain(local!.response.toString('base64'));
    const sent = await post('/api/console/library/send', { xml: ex.body.xml });
    expect([sent.body.succeeded, sent.body.finalResponseCode]).toEqual([true, 'I0']);
    // a second example uses the answer there is: nothing delivered again
    const again = await post('/api/console/library/example', { example: '8.13' });
    expect(again.body.prepared).toBeUndefined();
    expect(gateway.localResponses()).toHaveLength(1);
  });
});
