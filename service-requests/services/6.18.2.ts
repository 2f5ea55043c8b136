/** 6.18.2 Reset Maximum Demand Registers: the network operator resets the ESME's chosen maximum demand registers (ECS57, method 1 of each class 4 register). */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc, readExecution } from './configuration-commands.ts';

const { Sequence, checkAttributes, emptyEl, writeExecution } = bodyKit;

/** The registers in DUIS order with their OBIS: import, export, configurable-time import. */
const REGISTERS = [
  ['MaxDemandActivePowerImportValue', '0100010600FF'],
  ['MaxDemandActivePowerExportValue', '0100020600FF'],
  ['MaxDemandConfigTimeActivePowerImportValue', '0100010601FF'],
] as const;
type Register = (typeof REGISTERS)[number][0];

interface Body { kind: 'ResetMaximumDemandRegisters'; executionDateTime?: Date; registers: Register[] }

const body: BodyCodec<Body> = {
  element: 'ResetMaximumDemandRegisters',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const registers = REGISTERS.filter(([name]) => s.optional(name) !== undefined).map(([name]) => name);
    s.end();
    return { kind: 'ResetMaximumDemandRegisters', ...exec, registers };
  },
  write: (b) => writeExecution(b.executionDateTime) + REGISTERS.filter(([n]) => b.registers.includes(n)).map(([n]) => emptyEl(n)).join(''),
};

/** As RTDS sends them: import, configurable-time import, export. */
const SENT_ORDER: readonly Register[] = ['MaxDemandActivePowerImportValue', 'MaxDemandConfigTimeActivePowerImportValue', 'MaxDemandActivePowerExportValue'];

export const resetMaximumDemandRegisters = deviceCommandService({
  variant: '6.18.2',
  displayName: 'Reset Maximum Demand Registers',
  body,
  sender: 'networkOperator',
  steps: [notHeldByTheDcc, {
    // A reset of nothing is no command: the XSD allows the empty element, GBCS has nothing to send.
    name: 'registers',
    run: (ctx) => ((ctx.request.body as Body).registers.length ? null : ctx.reject(Codes.invalidRequest, 'ResetMaximumDemandRegisters names no register to reset')),
  }],
  command: byDeviceType('the maximum demand reset', {
    ESME: (b, { counter }) => {
      const chosen = SENT_ORDER.filter((r) => b.registers.includes(r));
      return { useCase: 'ECS57', messageCode: 0x005a, payload: dlmsAccess(counter, chosen.map((r) => ['action', 4, REGISTERS.find(([n]) => n === r)![1], 1, dlms.integer(0)] as const)) };
    },
  }),
  example: { name: 'reset-max-demand', body: () => ({ kind: 'ResetMaximumDemandRegisters' as const, registers: ['MaxDemandActivePowerImportValue'] as Register[] }) },
  describe: (b) => [{ label: 'Registers', value: b.registers.join(', ') }],
});
