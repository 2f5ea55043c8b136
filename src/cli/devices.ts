import { Option, type Command } from 'commander';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { INVENTORY_STATUSES, type DeviceStatus, type DeviceType } from '../../db/index.ts';
import { DCC, deviceView, isMpanCore, parseMpanCore, parseMprn, WorldError } from '../world/index.ts';
import { countArgument, dbOption, jsonOption, out, withWorld } from './options.ts';
import { table } from './output.ts';

// `devices list|show`: the smart metering inventory and a device's trust-anchor cells.

// [world-tests helper fix] --mpxn, --limit and --offset were passed through unchecked: a bad MPAN check
// digit silently matched nothing (exit 0) and '--limit abc' failed with SQLite's 'datatype mismatch'.
function mpxnArgument(text: string): string {
  return isMpanCore(text.trim()) ? parseMpanCore(text) : parseMprn(text);
}

export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('the smart metering inventory');
  devices
    .command('list')
    .addOption(dbOption())
    .description('the devices of the inventory, filtered, a page at a time')
    .addOption(new Option('--type <type>', 'device type').choices(['ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS']))
    .addOption(new Option('--status <status>', 'inventory status').choices([...INVENTORY_STATUSES]))
    .option('--mpxn <mpxn>', 'the devices at this MPAN or MPRN')
    .option('--supplier <eui>', 'the devices whose supply point has this registered supplier')
    .option('--network-operator <eui>', 'the devices whose supply point has this registered network operator')
    .option('--dcc-controlled', "only DCC controlled devices: their supplier cells still hold the ACB's certificates (awaiting the supplier's 6.21 handover)")
    .option('--limit <n>', 'rows', '20')
    .option('--offset <n>', 'rows to skip', '0')
    .addOption(jsonOption())
    .action((o: { db: string; type?: DeviceType; status?: DeviceStatus; mpxn?: string; supplier?: string; networkOperator?: string; dccControlled?: boolean; limit: string; offset: string; json?: boolean }) =>
      withWorld(o.db, (w) => {
        const r = w.store.listDevices({
          type: o.type,
          status: o.status,
          mpxn: o.mpxn === undefined ? undefined : mpxnArgument(o.mpxn),
          supplierEui: o.supplier ? parseEui(o.supplier) : undefined,
          networkOperatorEui: o.networkOperator ? parseEui(o.networkOperator) : undefined,
          supplierCellHolder: o.dccControlled ? DCC.accessControlBroker : undefined,
          limit: countArgument('--limit', o.limit),
          offset: countArgument('--offset', o.offset),
        });
        out(o.json, r, () =>
          table([
            ['EUI', 'TYPE', 'STATUS', 'MPxN', 'COMMISSIONED'],
            ...r.devices.map((d) => [dashedEui(d.eui), d.type, d.status, d.mpxn ?? '-', d.commissionedAt?.slice(0, 10) ?? '-']),
          ]) + `\n(${r.devices.length} of ${r.total})`,
        );
      }),
    );
  devices
    .command('show')
    .argument('<eui>', 'the device: an EUI-64, dashes optional')
    .description("a device, its registration data and its trust-anchor cells with their holders")
    .addOption(dbOption())
    .addOption(jsonOption())
    .action((euiText: string, o: { db: string; json?: boolean }) =>
      withWorld(o.db, (w) => {
        const eui = parseEui(euiText);
        const d = w.store.getDevice(eui);
        if (!d) throw new WorldError('unknown-device', `no device with EUI ${dashedEui(eui)} in ${o.db}`);
        const v = deviceView(w, d);
        const party = (e: string | null) => (e ? `${w.store.getParty(e)?.name ?? '?'} (${dashedEui(e)})` : '-');
        out(o.json, v, () =>
          [
            `${d.type} ${dashedEui(d.eui)}  ${d.status}${d.commissionedAt ? ' since ' + d.commissionedAt : ''}`,
            `MPxN ${d.mpxn ?? '-'}  supplier ${party(v.registeredSupplier)}  network operator ${party(v.registeredNetworkOperator)}`,
            '',
            table([
              ['CELL', 'HOLDER', 'EUI', 'ROLE', 'USAGE', 'SERIAL', 'VALID TO'],
              ...v.cells.map((c) => [
                c.cell,
                // [world-tests helper fix] CA certificates have no holder party: the root cell showed '(empty)'.
                c.certificate ? (c.certificate.holder ?? c.certificate.label ?? c.certificate.kind) : '(empty)',
                c.certificate?.subjectEui ? dashedEui(c.certificate.subjectEui) : '-',
                c.certificate?.role ?? '-',
                c.certificate?.keyUsage ?? '-',
                c.certificate?.serial ?? '-',
                c.certificate?.notAfter.slice(0, 10) ?? '-',
              ]),
            ]),
          ].join('\n'),
        );
      }),
    );
}
