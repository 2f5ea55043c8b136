/**
 * 6.28 Set CHF Sub GHz Configuration: the supplier configures the dual-band comms hub's sub-GHz radio (DBCH04‡,
 * through the ACB): the channels it may use in each band, duty-cycle thresholds, channel-change limits and the
 * poor-communications thresholds, into the configuration object 0-0:94.44.10.0; 6.30 reads it back.
 */
import { dlms, type DlmsData } from '../../devices/index.ts';
import type { Element } from '@xmldom/xmldom';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, chfWithoutRegistration, dlmsAccess } from './configuration-commands.ts';

const { Sequence, checkAttributes, readUnsigned, el, emptyEl, textEl } = bodyKit;

/** The channel lists in DUIS order: element, first channel, last channel, and the band code in the first octet of its mask. */
const BANDS = [
  ['LowerBandSubGHzChannels0To26', 0, 26, 0xe0],
  ['LowerBandSubGHzChannels27To34', 27, 34, 0xe8],
  ['LowerBandSubGHzChannels35To61', 35, 61, 0xf0],
  ['UpperBandSubGHzChannels0To26', 0, 26, 0xf8],
] as const;

/**
 * Numeric settings in DUIS order: element, fraction digits DUIS allows (a decimal is held ×100 by the hub, as
 * RTDS shows: 1.3 → 130, 60.00 → 6000), DLMS type, bounds (×100 for decimals).
 */
const SETTINGS = [
  ['NormalLimitedDutyCycleThreshold', 1, 'long', 50, 200],
  ['LimitedCriticalDutyCycleThreshold', 1, 'long', 160, 240],
  ['MaximumSubGHzChannelChangesPerWeek', 0, 'unsigned', 1, 7],
  ['GSMECurfew', 0, 'long', 2, 65535],
  ['ChannelQuieterThreshold', 0, 'unsigned', 1, 255],
  ['ChannelNoisierThreshold', 0, 'unsigned', 0, 20],
  ['NonGSMEPoorCommsPercentageThreshold', 2, 'long', 100, 10000],
  ['NonGSMEPoorCommsMeasurementPeriods', 0, 'unsigned', 50, 150],
  ['LocalCHNoiseMeasurementPeriod', 0, 'long', 61, 65535],
  ['LocalCHFailurePercentage', 2, 'long', 100, 10000],
  ['LocalCHRetryPercentage', 2, 'long', 100, 10000],
] as const;

interface Body {
  kind: 'SetCHFSubGHzConfiguration';
  /** per band, the channels allowed */
  channels: number[][];
  /** the settings in DUIS order, decimals ×100 (1.3 → 130, 60.00 → 6000) */
  settings: number[];
}

function readHundredths(item: Element, path: string, places: number, min: number, max: number): number {
  const text = (item.textContent ?? '').trim();
  const m = /^([+]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && !m[3])) throw new bodyKit.StructureError(`${path}: '${text}' is not a decimal`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > places) throw new bodyKit.StructureError(`${path}: ${text} has more than ${places} fraction digits`);
  const v = Number(m[2] || '0') * 100 + Number(frac.padEnd(2, '0') || '0');
  if (v < min || v > max) throw new bodyKit.StructureError(`${path}: ${text} is out of range`);
  return v;
}

const hundredthsText = (v: number, places: number) => (places ? (v / 100).toFixed(places) : String(v));

const body: BodyCodec<Body> = {
  element: 'SetCHFSubGHzConfiguration',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const channels = BANDS.map(([name, first, last]) => {
      const p = `${path}/sr:${name}`;
      const q = new Sequence(s.required(name), p);
      const list: number[] = [];
      for (let c = first; c <= last; c++) if (q.optional(`Channel${c}`)) list.push(c);
      q.end();
      return list;
    });
    const settings = SETTINGS.map(([name, places, , min, max]) => {
      const e = s.required(name);
      return places ? readHundredths(e, `${path}/sr:${name}`, places, min, max) : readUnsigned(e, `${path}/sr:${name}`, max, name);
    });
    s.end();
    return { kind: 'SetCHFSubGHzConfiguration', channels, settings };
  },
  write: (b) =>
    BANDS.map(([name], i) => el(name, (b.channels[i] ?? []).map((c) => emptyEl(`Channel${c}`)).join(''))).join('') +
    SETTINGS.map(([name, places], i) => textEl(name, hundredthsText(b.settings[i]!, places))).join(''),
};

/** A band's channel mask, 32 bits: the band code in the top five, channel n of the band in bit n - first (from the least significant). */
export function channelMask(code: number, first: number, channels: readonly number[]): DlmsData {
  let bits = 0;
  for (const c of channels) bits |= 1 << (c - first);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(((code << 24) | bits) >>> 0);
  return dlms.bits(32, b);
}

export const setChfSubGhzConfiguration = deviceCommandService({
  variant: '6.28',
  displayName: 'Set CHF Sub GHz Configuration',
  body,
  sender: 'supplier',
  withoutRegistration: chfWithoutRegistration,
  command: byDeviceType('the sub-GHz configuration', {
    CHF: (b, { counter }) => ({
      useCase: 'DBCH04', messageCode: 0x010d, viaAcb: true,
      payload: dlmsAccess(counter, [['set', 1, '00005E2C0A00', 2, dlms.structure(
        ...BANDS.map(([, first, , code], i) => channelMask(code, first, b.channels[i] ?? [])),
        ...SETTINGS.map(([, , type], i) => (type === 'unsigned' ? dlms.unsigned(b.settings[i]!) : dlms.longUnsigned(b.settings[i]!))),
      )]]),
    }),
  }),
  example: {
    name: 'set-sub-ghz',
    body: () => ({ kind: 'SetCHFSubGHzConfiguration' as const, channels: [[1, 2], [28, 29], [36, 37], [1, 2]], settings: [130, 220, 5, 7, 7, 12, 6000, 130, 100, 4000, 3000] }),
  },
  describe: (b) => BANDS.map(([name], i) => ({ label: name, value: (b.channels[i] ?? []).join(', ') || 'none' })),
});
