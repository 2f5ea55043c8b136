/**
 * 7.9 Add Auxiliary Load to Boost Button: the switches marked true join the boost button (ECS62, message code 0x005F, on the ESME); a switch marked false keeps its membership, so
 * the command sets only the marked ones.
 */
import { bodyKit } from '../duis/index.ts';
import { boostMembership, noDspFutureDating, readBooleanContent, readOneToFive } from './auxiliary-commands.ts';
import { deviceCommandService } from './device-command.ts';

const { Sequence, StructureError, checkAttributes } = bodyKit;

export interface AddAuxiliaryLoadToBoostButtonBody {
  kind: 'AddAuxiliaryLoadToBoostButton';
  /** for switches 1-5, in order */
  switches: boolean[];
}

export const addAuxiliaryLoadToBoostButton = deviceCommandService<AddAuxiliaryLoadToBoostButtonBody>({
  variant: '7.9',
  displayName: 'Add Auxiliary Load to Boost Button',
  body: {
    element: 'AddAuxiliaryLoadToBoostButton',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      noDspFutureDating(s, path);
      const switches = s.repeated('AddToBoostButton', 5, 5).map((e, i) => {
        const p = `${path}/sr:AddToBoostButton[${i + 1}]`;
        checkAttributes(e, p, ['index']);
        if (readOneToFive(e, p, 'index') !== i + 1) throw new StructureError(`${p}: the five switches are listed in order, index ${i + 1} here`);
        return readBooleanContent(e, p);
      });
      s.end();
      return { kind: 'AddAuxiliaryLoadToBoostButton', switches };
    },
    write: (b) => b.switches.map((on, i) => `<sr:AddToBoostButton index="${i + 1}">${on ? 'true' : 'false'}</sr:AddToBoostButton>`).join(''),
  },
  sender: 'supplier',
  command(b, type, { counter }) {
    if (type !== 'ESME') return `the boost button is an ESME's, not a ${type}'s`;
    const marked = b.switches.flatMap((on, i) => (on ? [[i + 1, true] as const] : []));
    if (marked.length === 0) return 'no switch is marked true: there is nothing to change';
    return { useCase: 'ECS62Add', messageCode: 0x005f, payload: boostMembership(counter, marked) };
  },
  example: { name: 'boost-add', body: () => ({ kind: 'AddAuxiliaryLoadToBoostButton' as const, switches: [true, false, false, false, false] }) },
  describe: (b) => [{ label: 'Switches', value: b.switches.flatMap((on, i) => (on ? [String(i + 1)] : [])).join(', ') }],
});
