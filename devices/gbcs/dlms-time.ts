/**
 * The 12-octet DLMS date-time of the grouping header (present in responses).
 *
 * We write it in the form RTDS device responses use: day-of-week 0xFF (not specified),
 * deviation 0x8000 (not specified) and clock status 0xFF, with the fields in UTC, because GBCS
 * devices keep UTC. On reading, the deviation and status are not applied (inferred: RTDS always
 * sends "not specified"); wildcard date or time fields are rejected, since a response time must be concrete.
 */
import { GbcsError } from './errors.ts';

export const DLMS_DATE_TIME_LENGTH = 12;

export function encodeDlmsDateTime(d: Date): Buffer {
  if (Number.isNaN(d.getTime())) throw new GbcsError('bad-argument', 'DLMS date-time: invalid Date');
  const y = d.getUTCFullYear();
  if (y < 0 || y > 0xfffe) throw new GbcsError('bad-argument', `DLMS date-time: year ${y} out of range`);
  return Buffer.from([
    y >> 8,
    y & 0xff,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    0xff,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    Math.floor(d.getUTCMilliseconds() / 10),
    0x80,
    0x00,
    0xff,
  ]);
}

export function decodeDlmsDateTime(b: Uint8Array, what = 'DLMS date-time'): Date {
  if (b.length !== DLMS_DATE_TIME_LENGTH) throw new GbcsError('bad-frame', `${what}: expected 12 octets, got ${b.length}`);
  const year = (b[0]! << 8) | b[1]!;
  const [month, day, , hour, minute, second, hundredths] = [b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!];
  if (year === 0xffff) throw new GbcsError('bad-frame', `${what}: year is not specified (0xFFFF)`);
  if (month < 1 || month > 12) throw new GbcsError('bad-frame', `${what}: month ${month} is not 1..12`);
  if (day < 1 || day > 31) throw new GbcsError('bad-frame', `${what}: day ${day} is not 1..31`);
  if (hour > 23) throw new GbcsError('bad-frame', `${what}: hour ${hour} is not 0..23`);
  if (minute > 59) throw new GbcsError('bad-frame', `${what}: minute ${minute} is not 0..59`);
  if (second > 59) throw new GbcsError('bad-frame', `${what}: second ${second} is not 0..59`);
  const cs = hundredths === 0xff ? 0 : hundredths;
  if (cs > 99) throw new GbcsError('bad-frame', `${what}: hundredths ${hundredths} is not 0..99`);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, cs * 10));
  if (date.getUTCDate() !== day) throw new GbcsError('bad-frame', `${what}: ${year}-${month}-${day} is not a calendar date`);
  return date;
}
