/**
 * 8.12.2 Restore GPF Device Log: a replacement GPF takes the device log of the GPF it replaces (GCS59, sent by the
 * DCC's ACB): the devices the old GPF served, as the DCC holds them from that GPF's GCS62 backups, so they need not
 * join the new one again. The gas supplier asks it (the ACB names it as the supplementary remote party), or the DCC
 * itself, as RTDS's template does (its vector then names no one: other-information of length 2).
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { encodeGpfLogRestoreCommand, type HanLogEntry } from '../../devices/index.ts';
import { bodyKit } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { Codes0812 } from './8.12.1.ts';

const { Sequence, checkAttributes, readEui, textEl, writeEui } = bodyKit;

interface Body {
  kind: 'RestoreGPFDeviceLog';
  oldGpfId: Eui;
}

/** A GPF's device log as its application state keeps it (what CS07 reads and GCS62 backs up). */
interface HeldLog {
  joined?: HanLogEntry[];
}

export const restoreGpfDeviceLog = deviceCommandService<Body>({
  variant: '8.12.2',
  displayName: 'Restore GPF Device Log',
  body: {
    element: 'RestoreGPFDeviceLog',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const oldGpfId = readEui(s.required('OldGPFID'), `${path}/sr:OldGPFID`);
      s.end();
      return { kind: 'RestoreGPFDeviceLog', oldGpfId };
    },
    write: (b) => textEl('OldGPFID', writeEui(b.oldGpfId, 'body.oldGpfId')),
  },
  sender: 'supplier',
  originator: 'acb',
  dccOriginates: ['GPF'],
  // the replacement GPF of a premises whose old GPF is withdrawn
  example: {
    name: 'restore-gpf-log',
    prefers: 'replacement',
    body: (ctx) => ({
      kind: 'RestoreGPFDeviceLog' as const,
      oldGpfId: (ctx.device?.type === 'GPF' ? ctx.replaced?.() : undefined) ?? ctx.fail('bad-argument', `the example restores a replaced GPF's device log to its replacement; ${dashedEui(ctx.eui)} replaced no GPF`),
    }),
  },
  needs: (b) => ({ deviceStateOf: { eui: b.oldGpfId, section: 'han' } }),
  steps: [{
    name: 'old-gpf',
    run(ctx) {
      const b = ctx.request.body as Body;
      const old = ctx.ports.device(b.oldGpfId);
      if (!old) return ctx.reject(Codes0812.unknownHub, `the old GPF ${dashedEui(b.oldGpfId)} is not in the smart metering inventory`);
      if (old.type !== 'GPF') return ctx.reject(Codes0812.notHub, `${dashedEui(b.oldGpfId)} is a ${old.type}, not a GPF`);
      if (b.oldGpfId === ctx.request.requestId.target) return ctx.reject(Codes0812.notHub, 'the old GPF is the one the request is sent to');
      return `the device log of ${dashedEui(b.oldGpfId)} (${old.status})`;
    },
  }],
  command(_b, type, { state }) {
    if (type !== 'GPF') return `a GPF device log is restored to a GPF, not a ${type}`;
    const entries = (state.deviceState as HeldLog | undefined)?.joined ?? [];
    return { useCase: 'GCS59', messageCode: 0x008c, payload: encodeGpfLogRestoreCommand(entries) };
  },
  describe: (b) => [{ label: 'OldGPFID', value: dashedEui(b.oldGpfId) }],
});
