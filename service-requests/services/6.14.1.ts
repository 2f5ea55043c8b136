/**
 * 6.14.1 Update Device Configuration (Auxiliary Load Control Description): the supplier names the ESME's
 * auxiliary load control switches 1-5 (ECS46a, critical): switch n's description is 0-0:94.44.0.(10+n).
 */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess } from './configuration-commands.ts';

const { Sequence, checkAttributes, readString, textEl, writeString } = bodyKit;

interface Body { kind: 'UpdateDeviceConfigurationALCDescriptions'; descriptions: { index: number; text: string }[] }

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationALCDescriptions',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const descriptions = s.repeated('ALCSHCALCSDescription', 1, 5).map((d, i) => {
      const p = `${path}/sr:ALCSHCALCSDescription[${i + 1}]`;
      checkAttributes(d, p, ['index']);
      const index = Number(d.getAttribute('index'));
      if (!Number.isInteger(index) || index < 1 || index > 5) throw new bodyKit.StructureError(`${p}/@index: '${d.getAttribute('index')}' is not 1-5`);
      const q = new Sequence(d, p);
      const text = readString(q.required('SwitchDescription'), `${p}/sr:SwitchDescription`, 1, 22);
      if (!/^[ -~]+$/.test(text)) throw new bodyKit.StructureError(`${p}/sr:SwitchDescription: only printable ASCII`);
      q.end();
      return { index, text };
    });
    s.end();
    return { kind: 'UpdateDeviceConfigurationALCDescriptions', descriptions };
  },
  write: (b) => b.descriptions.map((d, i) => {
    if (!Number.isInteger(d.index) || d.index < 1 || d.index > 5) throw new RangeError(`body.descriptions[${i}].index: 1-5`);
    return `<sr:ALCSHCALCSDescription index="${d.index}">${textEl('SwitchDescription', writeString(d.text, `body.descriptions[${i}].text`, 1, 22))}</sr:ALCSHCALCSDescription>`;
  }).join(''),
};

export const [updateAlcDescriptions, updateAlcDescriptionsSigned] = criticalDeviceCommandService({
  variant: '6.14.1',
  displayName: 'Update Device Configuration (Auxiliary Load Control Description)',
  body,
  sender: 'supplier',
  command: byDeviceType('auxiliary load control descriptions', {
    ESME: (b, { counter }) => ({
      useCase: 'ECS46a', messageCode: 0x0053,
      payload: dlmsAccess(counter, b.descriptions.map((d) => ['set', 1, `00005E2C00${(10 + d.index).toString(16).padStart(2, '0').toUpperCase()}`, 2, dlms.visible(d.text)] as const)),
    }),
  }),
  example: { name: 'name-alcs', body: () => ({ kind: 'UpdateDeviceConfigurationALCDescriptions' as const, descriptions: [{ index: 1, text: 'Immersion heater' }] }) },
  describe: (b) => b.descriptions.map((d) => ({ label: `ALCS ${d.index}`, value: d.text })),
});
