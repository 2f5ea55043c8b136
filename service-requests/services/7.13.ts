/**
 * 7.13 Set Auxiliary Controller State: the supplier commands an ESME's auxiliary controller (ALCS, HCALCS or APC)
 * to a level between two times; an APC takes it as a percentage, a switch is on only at 100 (ECS47a). Critical.
 */
import { bodyKit } from '../duis/index.ts';
import { auxiliaryControllerLevel, readOneToFive } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

const { Sequence, StructureError, checkAttributes, readDateTime, readUnsigned, emptyEl, textEl } = bodyKit;

export interface SetAuxiliaryControllerStateBody {
  kind: 'SetAuxiliaryControllerState';
  /** the controller, 1-5 */
  controller: number;
  start: Date;
  end: Date;
  /** 0-100 */
  level: number;
  /** an APC measuring the controlled load's input rather than its output */
  inputFromControlledLoad: boolean;
}

export const [setAuxiliaryControllerState, setAuxiliaryControllerStateSigned] = criticalDeviceCommandService<SetAuxiliaryControllerStateBody>({
  variant: '7.13',
  displayName: 'Set Auxiliary Controller State',
  body: {
    element: 'SetAuxiliaryControllerState',
    read(item, path) {
      checkAttributes(item, path, ['auxiliaryControllerN']);
      const controller = readOneToFive(item, path, 'auxiliaryControllerN');
      const s = new Sequence(item, path);
      const start = readDateTime(s.required('StartDateTime'), `${path}/sr:StartDateTime`);
      const end = readDateTime(s.required('EndDateTime'), `${path}/sr:EndDateTime`);
      const level = readUnsigned(s.required('CommandedStateLevel'), `${path}/sr:CommandedStateLevel`, 100, '0..100');
      const input = s.optional('InputFromControlledLoad');
      if (input) new Sequence(input, `${path}/sr:InputFromControlledLoad`).end();
      s.end();
      if (end < start) throw new StructureError(`${path}: EndDateTime is before StartDateTime`);
      return { kind: 'SetAuxiliaryControllerState', controller, start, end, level, inputFromControlledLoad: input !== undefined };
    },
    attributes: (b) => ({ auxiliaryControllerN: String(b.controller) }),
    write: (b) => textEl('StartDateTime', b.start.toISOString()) + textEl('EndDateTime', b.end.toISOString())
      + textEl('CommandedStateLevel', String(b.level)) + (b.inputFromControlledLoad ? emptyEl('InputFromControlledLoad') : ''),
  },
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS47a', messageCode: 0x011e, payload: auxiliaryControllerLevel(counter, b.controller, b.start, b.end, b.level, b.inputFromControlledLoad) }
    : `auxiliary controllers are an ESME's, not a ${type}'s`),
  example: {
    name: 'aux-controller',
    body: () => ({ kind: 'SetAuxiliaryControllerState' as const, controller: 1, start: new Date(), end: new Date(Date.now() + 3_600_000), level: 100, inputFromControlledLoad: false }),
  },
  describe: (b) => [
    { label: 'Controller', value: String(b.controller) },
    { label: 'From', value: b.start.toISOString() },
    { label: 'To', value: b.end.toISOString() },
    { label: 'Level', value: `${b.level}${b.inputFromControlledLoad ? ' (input from the controlled load)' : ''}` },
  ],
});
