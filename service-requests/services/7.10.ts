/**
 * 7.10 Remove Auxiliary Load from Boost Button: the switches marked true leave the boost button (ECS62, message code 0x005F, on the ESME); a switch marked false keeps its membership, so
 * the command sets only the marked ones.
 */
import { bodyKit } from '../duis/index.ts';
import { boostMembership, noDspFutureDating, readBooleanContent, readOneToFive } from './auxiliary-commands.ts';
import { deviceCommandService } from './device-command.ts';

const { Sequence, StructureError, checkAttributes } = bodyKit;

export interface RemoveAuxiliaryLoadFromBoostButtonBody {
  kind: 'RemoveAuxiliaryLoadFromBoostButton';
  /** for switches 1-5, in order */
  switches: boolean[];
}

export const removeAuxiliaryLoadFromBoostButton = deviceCommandService<RemoveAuxiliaryLoadFromBoostButtonBody>({
  variant: '7.10',
  displayName: 'Remove Auxiliary Load from Boost Button',
  body: {
    element: 'RemoveAuxiliaryLoadFromBoostButton',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      noDspFutureDating(s, path);
      const switches = s.repeated('RemoveFromBoostButton', 5, 5).map((e, i) => {
        const p = `${path}/sr:RemoveFromBoostButton[${i + 1}]`;
        checkAttributes(e, p, ['index']);
        if (readOneToFive(e, p, 'index') !== i + 1) throw new StructureError(`${p}: the five switches are listed in order, index ${i + 1} here`);
        return readBooleanContent(e, p);
      });
      s.end();
      return { kind: 'RemoveAuxiliaryLoadFromBoostButton', switches };
    },
    write: (b) => b.switches.map((on, i) => `<sr:RemoveFromBoostButton index="${i + 1}">${on ? 'true' : 'false'}</sr:RemoveFromBoostButton>`).join(''),
  },
  sender: 'supplier',
  command(b, type, { counter }) {
    if (type !== 'ESME') return `the boost button is an ESME's, not a ${type}'s`;
    const marked = b.switches.flatMap((on, i) => (on ? [[i + 1, false] as const] : []));
    if (marked.length === 0) return 'no switch is marked true: there is nothing to change';
    return { useCase: 'ECS62Remove', messageCode: 0x005f, payload: boostMembership(counter, marked) };
  },
  example: { name: 'boost-remove', body: () => ({ kind: 'RemoveAuxiliaryLoadFromBoostButton' as const, switches: [true, false, false, false, false] }) },
  describe: (b) => [{ label: 'Switches', value: b.switches.flatMap((on, i) => (on ? [String(i + 1)] : [])).join(', ') }],
});
