import { Option, type Command } from 'commander';
import { dashedEui } from '../../pki/index.ts';
import { WorldError } from '../world/index.ts';
import { dbOption, jsonOption, out, withWorld } from './options.ts';

// `recovery`: a credentials command the DCC originates on its own — the SMKI Recovery Event (its
// Recovery key signs a CS02b anyExceptAbnormalRootByRecovery), the contingency event (the root's
// contingency key signs a CS02b anyByContingency) or the WAN provider's own update — on
// named devices or on every device holding a party's network operator certificates. On the world file
// directly, or through a running server's POST /api/recovery (--url). Each device's command is a row
// of the request log, with --reason and --requested-by: the audit trail.

interface RecoveryOptions {
  db: string;
  url?: string;
  event: string;
  device?: string[];
  holding?: string;
  registeredTo?: string;
  cells?: string;
  certificatesOf?: string;
  place?: string[];
  reason: string;
  requestedBy: string;
  timeChecks?: 'apply' | 'disapply';
  json?: boolean;
}

type Result = import('../dcc/index.ts').RecoveryResult;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function text(r: Result): string {
  const lines = [`${r.event}: CS02b ${r.mode} (${r.messageCode}), ordered by ${r.requestedBy}: ${r.reason}`];
  for (const d of r.devices) {
    const cells = d.replacements.length ? d.replacements.map((x) => `${x.cell} ${x.statusName}`).join(', ') : '';
    lines.push(`  ${dashedEui(d.device)}  ${d.outcome}${d.requestId ? `  ${d.requestId}` : ''}${cells ? `  ${cells}` : ''}${d.reason ? `  (${d.reason})` : ''}  [request log #${d.requestLogId}]`);
  }
  lines.push(`${r.carriedOut} device(s) carried out, ${r.failed} not`);
  return lines.join('\n');
}

export function registerRecovery(program: Command): void {
  program
    .command('recovery')
    .description("originate a credentials command as the DCC: the SMKI Recovery Event (any cell but the root), the contingency event (the root as well, by the root's contingency key), or the WAN provider's or Transitional CoS party's own update; logged with its reason")
    .addOption(dbOption())
    .addOption(new Option('--event <event>', "recovery (CS02b 0x0108, the Recovery key), wan-provider (0x0105, comms hubs), transitional-cos (0x0106, the Transitional CoS party's own cell), contingency (0x0109, the root's contingency key: the root and the cells named; once per device)").choices(['recovery', 'wan-provider', 'transitional-cos', 'contingency']).default('recovery'))
    .option('--device <eui>', 'a device (repeatable)', collect)
    .option('--holding <eui>', "every device whose network operator cells hold this party's certificates where registration names another")
    .option('--registered-to <eui>', 'with --holding: only supply points registered to this network operator')
    .addOption(new Option('--cells <group>', 'the cells replaced').choices(['recovery', 'supplier', 'networkOperator', 'acb', 'transitionalCoS', 'wanProvider']))
    .option('--certificates-of <eui>', "whose current certificates go into them (the ACB's may stand in a GPF's network operator cells)")
    .option('--place <group=eui>', 'instead of --cells and --certificates-of, several groups in one command (repeatable), e.g. --place supplier=90B3D51F30010000; a contingency command is the device\'s only one', collect)
    .requiredOption('--reason <text>', 'why: kept in the request log with each command')
    .option('--requested-by <name>', 'who ordered it', process.env.USER ? `cli (${process.env.USER})` : 'cli')
    .addOption(new Option('--time-checks <choice>', "the device's time-based certification path checks; default as RTDS: disapplied by the recovery, applied by the WAN provider's update").choices(['apply', 'disapply']))
    .option('--url <url>', "a running dcc-sim's base URL: the server carries it out (POST /api/recovery, admin token from DCC_SIM_ADMIN_TOKEN)")
    .addOption(jsonOption())
    .action(async (o: RecoveryOptions) => {
      if (!o.device?.length && !o.holding) throw new WorldError('bad-argument', 'name the devices: --device <eui> (repeatable) or --holding <eui>');
      if (o.place?.length ? o.cells !== undefined || o.certificatesOf !== undefined : o.cells === undefined || o.certificatesOf === undefined) {
        throw new WorldError('bad-argument', 'name the cells: --cells <group> with --certificates-of <eui>, or --place <group=eui> (repeatable)');
      }
      const place = o.place?.length
        ? o.place.map((p) => {
            const [cells, certificatesOf, extra] = p.split('=');
            if (!cells || !certificatesOf || extra !== undefined) throw new WorldError('bad-argument', `--place '${p}' is not <group>=<eui>`);
            return { cells, certificatesOf };
          })
        : [{ cells: o.cells!, certificatesOf: o.certificatesOf! }];
      const order = {
        event: o.event,
        devices: o.device ?? [],
        ...(o.holding ? { holding: o.holding } : {}),
        ...(o.registeredTo ? { registeredTo: o.registeredTo } : {}),
        ...(o.place?.length ? { place } : { cells: o.cells, certificatesOf: o.certificatesOf }),
        reason: o.reason,
        requestedBy: o.requestedBy,
        ...(o.timeChecks ? { applyTimeBasedCpvChecks: o.timeChecks === 'apply' } : {}),
      };
      let result: Result;
      if (o.url) {
        const token = process.env.DCC_SIM_ADMIN_TOKEN;
        const res = await fetch(`${o.url.replace(/\/$/, '')}/api/recovery`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(order),
          signal: AbortSignal.timeout(120_000),
        });
        const body = (await res.json()) as Result & { error?: string };
        if (!res.ok) throw new WorldError('recovery', `the DCC at ${o.url} refused the order: ${body.error ?? res.status}`);
        result = body;
      } else {
        const { Dcc, CELL_GROUPS } = await import('../dcc/index.ts');
        type CellGroup = import('../dcc/index.ts').CellGroup;
        const { devicesToRecover } = await import('../compliance/index.ts');
        const { parseEui } = await import('../../pki/index.ts');
        result = withWorld(o.db, (w) => {
          const dcc = new Dcc(w, { networkOperatorCheck: true, maxRequestBytes: 1 << 20 });
          const r = dcc.recover({
            event: order.event as Result['event'],
            devices: devicesToRecover(w, order),
            place: place.map((p) => {
              if (!(CELL_GROUPS as readonly string[]).includes(p.cells)) throw new WorldError('bad-argument', `'${p.cells}' is not a cell group (${CELL_GROUPS.join(', ')})`);
              return { cells: p.cells as CellGroup, certificatesOf: parseEui(p.certificatesOf) };
            }),
            reason: order.reason,
            requestedBy: order.requestedBy,
            ...(o.timeChecks ? { applyTimeBasedCpvChecks: o.timeChecks === 'apply' } : {}),
          });
          return { ...r, devices: r.devices.map((d) => ({ ...d, device: dashedEui(d.device) })) };
        });
      }
      out(o.json, result, () => text(result));
      if (result.failed > 0) process.exitCode = 2;
    });
}
