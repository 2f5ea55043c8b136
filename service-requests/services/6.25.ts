/** 6.25 Set Electricity Supply Tamper State: the supplier locks the ESME's supply after tampering (ECS81, critical); 6.2.4 reads the lock back. */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess } from './configuration-commands.ts';

const { Sequence, checkAttributes, readStringEnum, textEl } = bodyKit;

interface Body { kind: 'SetElectricitySupplyTamperState'; state: 'Locked' | 'Unchanged' }

const body: BodyCodec<Body> = {
  element: 'SetElectricitySupplyTamperState',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const state = readStringEnum(s.required('SupplyTamperState'), `${path}/sr:SupplyTamperState`, ['Locked', 'Unchanged'], 'SupplyTamperState') as Body['state'];
    s.end();
    return { kind: 'SetElectricitySupplyTamperState', state };
  },
  write: (b) => textEl('SupplyTamperState', b.state),
};

export const [setElectricitySupplyTamperState, setElectricitySupplyTamperStateSigned] = criticalDeviceCommandService({
  variant: '6.25',
  displayName: 'Set Electricity Supply Tamper State',
  body,
  sender: 'supplier',
  command: byDeviceType('the supply tamper state', {
    // the supply tamper state object (0-0:94.44.0.4): true locks, false leaves it as it is
    ESME: (b, { counter }) => ({ useCase: 'ECS81', messageCode: 0x0068, payload: dlmsAccess(counter, [['set', 1, '00005E2C0004', 2, dlms.boolean(b.state === 'Locked')]]) }),
  }),
  example: { name: 'lock-supply-tamper', body: () => ({ kind: 'SetElectricitySupplyTamperState' as const, state: 'Locked' as const }) },
  describe: (b) => [{ label: 'SupplyTamperState', value: b.state }],
});
