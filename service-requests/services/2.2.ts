/**
 * 2.2 Top Up Device: the supplier's UTRN, copied by the DCC into CS01a (ESME token gateway) or CS01b (GSME
 * Consumer Top Up). Non-critical: the UTRN carries its own MAC, made with the supplier's top-up KA key for the
 * one meter, which the device checks along with its counter.
 */
import { bodyKit } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { consumerTopUp, enterUtrn } from './prepayment-commands.ts';

const { Sequence, StructureError, checkAttributes, readString, textEl } = bodyKit;

export interface TopUpDeviceBody {
  kind: 'TopUpDevice';
  utrn: string;
}

export const topUpDevice = deviceCommandService<TopUpDeviceBody>({
  variant: '2.2',
  displayName: 'Top Up Device',
  body: {
    element: 'TopUpDevice',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const utrn = readString(s.required('UTRN'), `${path}/sr:UTRN`, 20, 20);
      s.end();
      if (!/^[0-9]{20}$/.test(utrn)) throw new StructureError(`${path}/sr:UTRN: a UTRN is 20 digits, not '${utrn}'`);
      return { kind: 'TopUpDevice', utrn };
    },
    write(b) {
      if (!/^[0-9]{20}$/.test(b.utrn)) throw new RangeError(`UTRN: a UTRN is 20 digits, not ${JSON.stringify(b.utrn)}`);
      return textEl('UTRN', b.utrn);
    },
  },
  sender: 'supplier',
  command(b, type, { counter }) {
    if (type === 'ESME') return { useCase: 'CS01a', messageCode: 0x0007, payload: enterUtrn(counter, b.utrn) };
    if (type === 'GSME') return { useCase: 'CS01b', messageCode: 0x0097, payload: consumerTopUp(b.utrn) };
    return `a top-up goes to an ESME or a GSME, not a ${type}`;
  },
  // The RTDS ESME's £10 UTRN. A meter takes only a UTRN its supplier made for it with its top-up key (makeUtrn in
  // devices/ makes one): this one, made for the RTDS ESME's key, is refused by dcc-sim's meters.
  example: { name: 'top-up', body: () => ({ kind: 'TopUpDevice', utrn: '73946144332040217315' }) },
  describe: (b) => [{ label: 'UTRN', value: b.utrn }],
});
