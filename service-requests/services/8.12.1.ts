/**
 * 8.12.1 Restore HAN Device Log: a replacement comms hub takes the device log of the hub it replaces (CCS03,
 * sent by the DCC's ACB for the supplier): the devices and their hashed link keys, as the DCC holds them from
 * the old hub's CS14 alerts, so the meters rejoin it without new install codes. The new hub raises CS14 with
 * its restored log.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { dlms } from '../../devices/index.ts';
import { bodyKit } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { hubAccess } from './han-commands.ts';

const { Sequence, checkAttributes, readEui, textEl, writeEui } = bodyKit;

interface Body {
  kind: 'RestoreHANDeviceLog';
  oldChfId: Eui;
}

/** dcc-sim's assignment of the E0812xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0812 = {
  unknownHub: 'E081202', // the OldCHFID (8.12.2: OldGPFID) is not in the smart metering inventory
  notHub: 'E081204', // the OldCHFID is not a comms hub (8.12.2: OldGPFID not a GPF), or is the device the request is sent to
} as const;

interface HeldLog {
  entries?: { eui: string; linkKeyHash: string }[];
}

export const restoreHanDeviceLog = deviceCommandService<Body>({
  variant: '8.12.1',
  displayName: 'Restore HAN Device Log',
  body: {
    element: 'RestoreHANDeviceLog',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const oldChfId = readEui(s.required('OldCHFID'), `${path}/sr:OldCHFID`);
      s.end();
      return { kind: 'RestoreHANDeviceLog', oldChfId };
    },
    write: (b) => textEl('OldCHFID', writeEui(b.oldChfId, 'body.oldChfId')),
  },
  sender: 'supplier',
  originator: 'acb',
  withoutRegistration: (d) => d.type === 'CHF',
  // the replacement hub of a premises whose old hub is withdrawn
  example: {
    name: 'restore-hub-log',
    prefers: 'replacement',
    body: (ctx) => ({
      kind: 'RestoreHANDeviceLog' as const,
      oldChfId: (ctx.device?.type === 'CHF' ? ctx.replaced?.() : undefined) ?? ctx.fail('bad-argument', `the example restores a replaced hub's device log to its replacement; ${dashedEui(ctx.eui)} replaced no comms hub`),
    }),
  },
  needs: (b) => ({ deviceStateOf: { eui: b.oldChfId, section: 'chfDeviceLog' } }),
  steps: [{
    name: 'old-hub',
    run(ctx) {
      const b = ctx.request.body as Body;
      const old = ctx.ports.device(b.oldChfId);
      if (!old) return ctx.reject(Codes0812.unknownHub, `the old comms hub ${dashedEui(b.oldChfId)} is not in the smart metering inventory`);
      if (old.type !== 'CHF') return ctx.reject(Codes0812.notHub, `${dashedEui(b.oldChfId)} is a ${old.type}, not a comms hub`);
      if (b.oldChfId === ctx.request.requestId.target) return ctx.reject(Codes0812.notHub, 'the old comms hub is the one the request is sent to');
      return `the device log of ${dashedEui(b.oldChfId)} (${old.status})`;
    },
  }],
  command(b, type, { counter, state }) {
    if (type !== 'CHF') return `a HAN device log is restored to a comms hub, not a ${type}`;
    const entries = (state.deviceState as HeldLog | undefined)?.entries ?? [];
    // restore PAN: { extended PAN id (the new hub keeps its own: zero), array { EUI, hashed link key } }
    return {
      useCase: 'CCS03',
      messageCode: 0x0003,
      payload: hubAccess(counter, [{ kind: 'action', id: 5 }], [
        dlms.structure(dlms.octets(Buffer.alloc(8)), dlms.array(entries.map((e) => dlms.structure(dlms.octets(Buffer.from(e.eui, 'hex')), dlms.octets(Buffer.from(e.linkKeyHash, 'hex')))))),
      ]),
    };
  },
  describe: (b) => [{ label: 'OldCHFID', value: dashedEui(b.oldChfId) }],
});
