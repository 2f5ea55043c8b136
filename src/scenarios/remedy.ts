import { dashedEui, type Eui } from '../../pki/index.ts';
import { allStrandedDevices, type StrandedDevice } from '../compliance/index.ts';
import type { World } from '../world/index.ts';
import type { DuisDriver, SentRequest } from './driver.ts';

// The MP128A remedy, carried out: for each device still holding a network party's certificates at a
// supply point registered to someone else, the requests compliance/remedyFor describes, sent as real
// signed DUIS through the DCC.

export interface RemedyOutcome {
  device: StrandedDevice;
  sent: SentRequest[];
  ok: boolean;
  /** why not, when not ok */
  problem: string | null;
}

export interface RemedySummary {
  holder: Eui;
  devices: number;
  remedied: number;
  failed: number;
  /** devices with no remedy by DUIS */
  unreachable: number;
  outcomes: RemedyOutcome[];
}

/** Runs one device's remedy; stops at the first request the device does not carry out. */
export async function remedyDevice(driver: DuisDriver, device: StrandedDevice): Promise<RemedyOutcome> {
  const sent: SentRequest[] = [];
  if (device.remedy.length === 0) {
    return { device, sent, ok: false, problem: 'no remedy by DUIS: the certificate holder is no DCC User (a site visit or an SMKI recovery is needed)' };
  }
  for (const step of device.remedy) {
    const r =
      step.request === 'UpdateSecurityCredentialsKRP'
        ? await driver.updateCredentials({ sender: step.sender, device: device.eui, role: 'NetworkOperator', certificatesOf: step.certificatesOf })
        : await driver.handover({ supplier: step.sender, device: device.eui, role: 'NetworkOperator', certificatesOf: step.certificatesOf });
    sent.push(r);
    if (r.outcome !== 'I0') {
      return { device, sent, ok: false, problem: `${r.service} from ${r.senderName} ended ${r.outcome}${r.reason ? ': ' + r.reason : ''}${r.deviceDetail ? ' (' + r.deviceDetail + ')' : ''}` };
    }
  }
  return { device, sent, ok: true, problem: null };
}

/**
 * Remedies every device holding `holder`'s certificates at supply points registered to another
 * party (or to `registeredTo`). The list is taken first, then worked through.
 */
export async function remedyAll(
  world: World,
  driver: DuisDriver,
  holder: Eui,
  o: { registeredTo?: Eui; mpxnPrefix?: string; onDevice?: (outcome: RemedyOutcome, index: number, total: number) => void } = {},
): Promise<RemedySummary> {
  const devices = allStrandedDevices(world, holder, {
    ...(o.registeredTo ? { registeredTo: o.registeredTo } : {}), ...(o.mpxnPrefix ? { mpxnPrefix: o.mpxnPrefix } : {}),
  });
  const outcomes: RemedyOutcome[] = [];
  for (const [i, d] of devices.entries()) {
    const outcome = await remedyDevice(driver, d);
    outcomes.push(outcome);
    o.onDevice?.(outcome, i, devices.length);
  }
  return {
    holder,
    devices: devices.length,
    remedied: outcomes.filter((x) => x.ok).length,
    failed: outcomes.filter((x) => !x.ok && x.device.remedy.length > 0).length,
    unreachable: outcomes.filter((x) => x.device.remedy.length === 0).length,
    outcomes,
  };
}

export function describeRemedy(d: StrandedDevice, world: World): string {
  if (d.remedy.length === 0) return 'no remedy by DUIS (the holder is no DCC User): site visit or SMKI recovery';
  const name = (e: Eui) => world.store.getParty(e)?.name ?? dashedEui(e);
  return d.remedy.map((s) => `${s.service} by ${name(s.sender)} with ${name(s.certificatesOf)}'s certificates`).join(', then ');
}
