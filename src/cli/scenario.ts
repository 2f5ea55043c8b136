import type { Command } from 'commander';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { WorldError } from '../world/index.ts';
import { countArgument, dbOption, jsonOption, out, withWorld } from './options.ts';
import { progressBar, table } from './output.ts';
import { sandboxApi, type SandboxAnswer } from './sandbox.ts';

// `scenario list|run|transfer-network`: training scenarios and network operator changes (MP128A);
// the scenarios and compliance modules load lazily, in the commands that use them.

export function registerScenario(program: Command): void {
  const scenarioCmd = program.command('scenario').description('training scenarios and network operator changes (MP128A)');
  scenarioCmd
    .command('list')
    .description('the training scenarios and their steps')
    .addOption(jsonOption())
    .action(async (o: { json?: boolean }) => {
      const { describeScenarios } = await import('../scenarios/index.ts');
      const list = describeScenarios();
      out(o.json, list, () =>
        list.map((s) => [`${s.name}: ${s.title}`, `  ${s.summary}`, ...s.steps.map((st) => `  ${st.index + 1}. ${st.title}`)].join('\n')).join('\n\n'),
      );
    });

  scenarioCmd
    .command('run')
    .argument('<name>', 'the scenario (`dcc-sim scenario list` names them)')
    .description('run a training scenario step by step, narrated, in a private copy of the world (a sandbox) so that it can run again; exits 2 if its expected outcome is not met')
    .option('--db <file>', 'world to copy and run it on (default: a fresh scratch world, removed afterwards)')
    .option('--url <url>', "a running `dcc-sim serve`: the scenario runs in a new sandbox of its world (default: a DCC started in this process on 127.0.0.1)")
    .option('--shared', 'run in the world itself (--db, or the world the server at --url serves) rather than a copy: it changes that world and may move its clock')
    .option('--keep-sandbox', 'with --url: keep the sandbox afterwards (its id is printed) instead of dropping it')
    .addOption(jsonOption())
    .action(async (name: string, o: { db?: string; url?: string; shared?: boolean; keepSandbox?: boolean; json?: boolean }) => {
      const s = await import('../scenarios/index.ts');
      const scenario = s.findScenario(name);
      if (o.url && o.shared && !o.db) throw new WorldError('bad-argument', '--url --shared needs --db: the world file the server at that URL serves (to sign as its parties)');
      if (o.shared && !o.db && !o.url) throw new WorldError('bad-argument', '--shared needs --db (or --url): the world to run it in');
      // Where it runs: a sandbox of the server's world, a private copy of --db, or the world itself (--shared).
      const sandbox = o.url && !o.shared ? await sandboxApi<SandboxAnswer>(o.url, 'POST', '/api/sandboxes', { name: `scenario: ${scenario.name}` }) : undefined;
      const scratch = sandbox ? undefined : o.db ? (o.shared ? undefined : await s.copyOfWorld(o.db)) : s.scratchWorld();
      const file = sandbox?.file ?? scratch?.file ?? o.db!;
      const where = sandbox ? `sandbox ${sandbox.id} of the served world` : o.db ? (o.shared ? o.db : `a private copy of ${o.db}`) : `a scratch world of ${s.SCRATCH_PREMISES} premises`;
      let summary;
      try {
        const host = o.url ? await s.remoteHost(file, `${o.url.replace(/\/$/, '')}${sandbox?.baseUrl ?? ''}`) : await s.inProcessHost(file);
        try {
          if (!o.json) {
            process.stdout.write(`${scenario.title}\n${scenario.summary}\n`);
            process.stdout.write(`(in ${where}, through ${host.where})\n\n`);
          }
          const run = new s.ScenarioRun(scenario, host);
          summary = await run.runAll((r) => {
            if (!o.json) process.stdout.write(s.formatStepResult(r, scenario.steps.length) + '\n\n');
          });
        } finally {
          await host.close();
        }
      } finally {
        scratch?.cleanup();
        if (sandbox && !o.keepSandbox) await sandboxApi(o.url!, 'DELETE', `/api/sandboxes/${sandbox.id}`);
      }
      if (sandbox && o.keepSandbox && !o.json) process.stdout.write(`the sandbox stays: ${sandbox.id} (${o.url!.replace(/\/$/, '')}${sandbox.baseUrl}); \`dcc-sim sandbox drop ${sandbox.id}\` removes it\n`);
      if (o.json) out(true, sandbox && o.keepSandbox ? { ...summary, sandbox } : summary, () => '');
      else process.stdout.write(`${summary.status === 'passed' ? 'PASSED' : 'FAILED'}: ${scenario.name} (${summary.results.filter((r) => r.ok).length} of ${scenario.steps.length} steps passed)\n`);
      if (summary.status !== 'passed') process.exitCode = 2;
    });

  scenarioCmd
    .command('transfer-network')
    .description("move supply points to another network operator in registration data (e.g. National Grid -> Cadent), then list the devices still holding the outgoing operator's certificates and their remedy (MP128A)")
    .addOption(dbOption())
    .requiredOption('--from <eui>', 'the outgoing network operator')
    .requiredOption('--to <eui>', 'the incoming network operator')
    .option('--mpxn-prefix <digits>', 'only supply points whose MPAN/MPRN starts with these digits')
    .option('--limit <n>', 'devices listed', '20')
    .option('--remedy', "send the remedy as signed DUIS: the outgoing operator's 6.15.1 NOByNO (ACB certificates on GPFs), then the suppliers' 6.21 with the incoming operator's certificates")
    .option('--cease', 'after the remedy, let the outgoing operator cease to be a DCC User (refused while devices still hold its certificates)')
    .option('--url <url>', 'with --remedy: a running `dcc-sim serve` of the same --db (default: a DCC started in this process)')
    .addOption(jsonOption())
    .action(async (o: { db: string; from: string; to: string; mpxnPrefix?: string; limit: string; remedy?: boolean; cease?: boolean; url?: string; json?: boolean }) => {
      const c = await import('../compliance/index.ts');
      const from = parseEui(o.from);
      const to = parseEui(o.to);
      const limit = countArgument('--limit', o.limit);
      const result: Record<string, unknown> = {};
      const lines: string[] = [];
      const s = await import('../scenarios/index.ts');
      withWorld(o.db, (w) => {
        const t = c.transferNetwork(w, { from, to, mpxnPrefix: o.mpxnPrefix, limit });
        result.transfer = t;
        const name = (e: string | null) => (e ? (w.store.getParty(e)?.name ?? dashedEui(e)) : '-');
        lines.push(
          `registration data: ${t.moved} supply point(s)${t.mpxnPrefix ? ` with MPxN ${t.mpxnPrefix}*` : ''} moved from ${t.from.name} (${dashedEui(from)}) to ${t.to.name} (${dashedEui(to)})`,
          `${t.stranded.total} device(s) at ${t.to.name}'s supply points still hold ${t.from.name}'s certificates: ${t.to.name} cannot reach them (only the holder of a network operator cell can replace it)`,
        );
        if (t.stranded.total) {
          lines.push(
            '',
            table([
              ['EUI', 'TYPE', 'STATUS', 'MPxN', 'CELLS', 'SUPPLIER', 'REMEDY'],
              ...t.stranded.devices.map((d) => [dashedEui(d.eui), d.type, d.status, d.mpxn ?? '-', d.cells.join('+'), name(d.supplierEui), s.describeRemedy(d, w)]),
            ]),
            `(${t.stranded.devices.length} of ${t.stranded.total})`,
            '',
            `MP128A: before ceasing to be a DCC User ${t.from.name} replaces its certificates on the devices by the ACB's (6.15.1 NOByNO; on an ESME by the registered`,
            `operator's, as an ESME's network operator cells cannot hold the ACB's); then, where ${t.to.name} is a DCC User with certificates, the supplier`,
            `places them with 6.21. \`dcc-sim parties cease-dcc-user ${dashedEui(from)}\` is refused while any device holds ${t.from.name}'s certificates.`,
          );
          if (!o.remedy) lines.push('Run again with --remedy to send these requests (--cease to end with the cessation).');
        }
      });
      if (o.remedy) {
        const host = o.url ? await s.remoteHost(o.db, o.url) : await s.inProcessHost(o.db);
        try {
          const progress = progressBar('remedy');
          const sum = await s.remedyAll(host.world, host.driver, from, { registeredTo: to, mpxnPrefix: o.mpxnPrefix, onDevice: (_x, i, n) => progress?.(i + 1, n) });
          result.remedy = { ...sum, outcomes: sum.outcomes.map((x) => ({ device: x.device.eui, ok: x.ok, problem: x.problem, requests: x.sent.map((r) => ({ service: r.service, sender: r.sender, requestId: r.requestId, legs: r.legs, outcome: r.outcome, cellsChanged: r.cellsChanged })) })) };
          lines.push('', `remedy through ${host.where}: ${sum.remedied} of ${sum.devices} device(s) remedied, ${sum.failed} failed, ${sum.unreachable} with no remedy by DUIS`);
          for (const x of sum.outcomes.filter((y) => !y.ok).slice(0, 10)) lines.push(`  ${dashedEui(x.device.eui)}: ${x.problem}`);
          const after = sum.outcomes.map((x) => c.deviceCompliance(host.world, x.device.eui));
          const compliant = after.filter((d) => d?.state === 'compliant').length;
          result.complianceAfter = { devices: after.length, compliant };
          lines.push(`post-commissioning report for them now: ${compliant} of ${after.length} compliant`);
          if (o.cease) {
            try {
              const r = c.ceaseDccUser(host.world, from);
              result.cease = r;
              lines.push(`${r.party.name} ceased to be a DCC User at ${r.at}; ${r.revokedCertificates.length} of its certificates revoked`);
            } catch (err) {
              if (!(err instanceof c.CeaseRefused)) throw err;
              result.cease = { refused: err.message, devicesHoldingCertificates: err.refusal.devicesHoldingCertificates };
              lines.push(`cease-dcc-user refused: ${err.message}`);
              process.exitCode = 2;
            }
          }
          if (sum.failed) process.exitCode = 2;
        } finally {
          await host.close();
        }
      }
      out(o.json, result, () => lines.join('\n'));
    });
}
