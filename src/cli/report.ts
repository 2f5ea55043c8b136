import { Option, type Command } from 'commander';
import { parseEui } from '../../pki/index.ts';
import { NON_COMPLIANCE_REASONS, type ComplianceState, type NonComplianceReason } from '../../db/index.ts';
import { WorldError } from '../world/index.ts';
import { countArgument, dbOption, out, withWorld } from './options.ts';

// `report post-commissioning`: the DCC's report on network operator certificates (issue 5 part 2;
// the compliance module loads lazily so other commands start as fast as before).

function reportAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new WorldError('bad-argument', `--at '${text}' is not a date-time (ISO 8601)`);
  return t;
}

export function registerReport(program: Command): void {
  const reportCmd = program.command('report').description('DCC reports');
  reportCmd
    .command('post-commissioning')
    .description("network operator certificates of every commissioned ESME and GPF against registration data, 7 days after commissioning (IEDP 5.3, MP128B)")
    .addOption(dbOption())
    .option('--at <time>', "report time (ISO 8601); default the world's simulated clock")
    .addOption(new Option('--format <format>', 'table, json, or csv (one line per device)').choices(['table', 'json', 'csv']).default('table'))
    .addOption(new Option('--type <type>', 'only this device type').choices(['ESME', 'GPF']))
    .option('--network-operator <eui>', 'only supply points registered to this network operator')
    .option('--supplier <eui>', 'only supply points registered to this supplier')
    .addOption(new Option('--state <state>', 'devices listed: this state only').choices(['compliant', 'pending', 'non-compliant']))
    .option('--reason <reason>', 'devices listed: this reason only (e.g. other-network-operator, acb-in-esme, gno-not-dcc-user, revoked-certificate)')
    .option('--limit <n>', 'devices listed (table: 10 non-compliant, json: 100; csv: all)')
    .option('--offset <n>', 'devices to skip', '0')
    .action(async (o: { db: string; at?: string; format: 'table' | 'json' | 'csv'; type?: 'ESME' | 'GPF'; networkOperator?: string; supplier?: string; state?: string; reason?: string; limit?: string; offset: string }) => {
      const c = await import('../compliance/index.ts');
      if (o.reason !== undefined && !c.isNonComplianceReason(o.reason)) throw new WorldError('bad-argument', `--reason '${o.reason}' is not one the report gives (${NON_COMPLIANCE_REASONS.join(', ')})`);
      const state = o.state as ComplianceState | undefined;
      const reason = o.reason as NonComplianceReason | undefined;
      withWorld(o.db, (w) => {
        const scope = {
          at: c.reportTime(w, reportAt(o.at)),
          type: o.type,
          networkOperatorEui: o.networkOperator ? parseEui(o.networkOperator) : undefined,
          supplierEui: o.supplier ? parseEui(o.supplier) : undefined,
        };
        if (o.format === 'csv') {
          if (o.limit !== undefined) {
            const rows = c.complianceDevices(w, { ...scope, state, reason, limit: countArgument('--limit', o.limit), offset: countArgument('--offset', o.offset) });
            process.stdout.write(c.csvHeader() + c.csvRows(rows));
          } else c.writeCsv(w, { ...scope, state, reason }, (chunk) => process.stdout.write(chunk));
          return;
        }
        const limit = o.limit !== undefined ? countArgument('--limit', o.limit) : o.format === 'table' ? 10 : 100;
        // One party's own report (--supplier or --network-operator, not both): what is overdue and what is still due.
        const party = o.format === 'table' && state === undefined && reason === undefined && !o.supplier !== !o.networkOperator ? (o.supplier ? 'supplier' : 'network-operator') : undefined;
        if (party) {
          const offset = countArgument('--offset', o.offset);
          const r = c.postCommissioningReport(w, { ...scope, devices: { state: 'non-compliant', limit, offset } });
          const due = c.complianceDevices(w, { ...scope, state: 'pending', limit, offset });
          out(false, r, () => c.formatPartyReport(r, due, party));
          return;
        }
        const listState = state ?? (o.format === 'table' && reason === undefined ? 'non-compliant' : undefined);
        const r = c.postCommissioningReport(w, {
          ...scope,
          devices: limit > 0 ? { state: listState, reason, limit, offset: countArgument('--offset', o.offset) } : undefined,
        });
        out(o.format === 'json', r, () => c.formatReportTable(r));
      });
    });
}
