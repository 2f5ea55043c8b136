/**
 * 6.13 Read Event Or Security Log: a device log between two times. ESME: the event, security, power event or
 * auxiliary load control switch log (ECS35a, b, e; ECS35f for the supplier, ECS35g for the network operator);
 * comms hub: its event or security log through the ACB (ECS35c‡, d‡); GSME: the Events cluster (CS10a, b).
 */
import { bodyKit } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { chfWithoutRegistration, dlmsLogRead, zclCommands } from './configuration-commands.ts';
import type { BodyCodec } from '../duis/index.ts';

const { Sequence, checkAttributes, readDateTime, readStringEnum, el, textEl, writeDateTime } = bodyKit;

const LOGS = ['Event', 'ALCSEvent', 'PowerEvent', 'Security', 'GSMEEvent', 'GSMESecurity'] as const;
type LogToRead = (typeof LOGS)[number];

interface Body {
  kind: 'ReadEventOrSecurityLog';
  from: Date;
  to: Date;
  log: LogToRead;
}

const body: BodyCodec<Body> = {
  element: 'ReadEventOrSecurityLog',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const period = s.required('ReadLogPeriod');
    const p = new Sequence(period, `${path}/sr:ReadLogPeriod`);
    const from = readDateTime(p.required('StartDateTime'), `${path}/sr:ReadLogPeriod/sr:StartDateTime`);
    const to = readDateTime(p.required('EndDateTime'), `${path}/sr:ReadLogPeriod/sr:EndDateTime`);
    p.end();
    const log = readStringEnum(s.required('LogToRead'), `${path}/sr:LogToRead`, LOGS, 'LogToRead') as LogToRead;
    s.end();
    return { kind: 'ReadEventOrSecurityLog', from, to, log };
  },
  write: (b) => el('ReadLogPeriod', textEl('StartDateTime', writeDateTime(b.from, 'body.from')) + textEl('EndDateTime', writeDateTime(b.to, 'body.to'))) + textEl('LogToRead', b.log),
};

const EVENTS_CLUSTER = 0x0709;

/** Get Event Log: control 1 / log id 3 (event) or control 0 / log id 4 (security), event id 0 (all), the period, all events from offset 0. */
function getEventLog(controlAndLog: number, from: Date, to: Date): Buffer {
  const p = Buffer.alloc(14);
  p[0] = controlAndLog;
  p.writeUInt32LE(zigbee(from), 3);
  p.writeUInt32LE(zigbee(to), 7);
  return zclCommands([[EVENTS_CLUSTER, 0x01, 0x00, p]]);
}

function zigbee(d: Date): number {
  return Math.max(0, Math.min(0xffffffff, Math.floor((d.getTime() - Date.UTC(2000, 0, 1)) / 1000)));
}

export const readEventOrSecurityLog = deviceCommandService({
  variant: '6.13',
  displayName: 'Read Event Or Security Log',
  body,
  sender: 'supplierOrNetworkOperator',
  withoutRegistration: chfWithoutRegistration,
  command(b, type, { counter, sender }) {
    const { from, to } = b;
    const read = (profile: string) => dlmsLogRead(counter, profile, from, to);
    if (type === 'ESME') {
      switch (b.log) {
        case 'Event': return { useCase: 'ECS35a', messageCode: 0x0048, payload: read('0-0:99.98.0.255') };
        case 'Security': return { useCase: 'ECS35b', messageCode: 0x0049, payload: read('0-0:99.98.1.255') };
        case 'PowerEvent': return { useCase: 'ECS35e', messageCode: 0x00b9, payload: read('0-0:99.98.4.255') };
        case 'ALCSEvent': return sender === 'networkOperator'
          ? { useCase: 'ECS35g', messageCode: 0x00fd, payload: read('0-17:99.98.2.255') }
          : { useCase: 'ECS35f', messageCode: 0x00ba, payload: read('0-17:99.98.2.255') };
        default: return `an ESME keeps no ${b.log} log (Event, Security, PowerEvent or ALCSEvent)`;
      }
    }
    if (type === 'CHF') {
      if (b.log === 'Event') return { useCase: 'ECS35c', messageCode: 0x0093, viaAcb: true, payload: read('0-0:99.98.0.255') };
      if (b.log === 'Security') return { useCase: 'ECS35d', messageCode: 0x0094, viaAcb: true, payload: read('0-0:99.98.1.255') };
      return `a comms hub keeps no ${b.log} log (Event or Security)`;
    }
    if (type === 'GSME') {
      if (b.log === 'Event' || b.log === 'GSMEEvent') return { useCase: 'CS10a', messageCode: 0x0014, payload: getEventLog(0x13, from, to) };
      if (b.log === 'Security' || b.log === 'GSMESecurity') return { useCase: 'CS10b', messageCode: 0x00a1, payload: getEventLog(0x04, from, to) };
      return `a GSME keeps no ${b.log} log (Event or Security)`;
    }
    return `event and security logs are read from an ESME, a GSME or a comms hub, not a ${type}`;
  },
  example: {
    name: 'read-event-log',
    body: () => ({ kind: 'ReadEventOrSecurityLog' as const, from: new Date(Date.UTC(2000, 0, 1)), to: new Date(Date.UTC(2099, 11, 31)), log: 'Event' as const }),
  },
  describe: (b) => [{ label: 'LogToRead', value: b.log }, { label: 'ReadLogPeriod', value: `${b.from.toISOString()} – ${b.to.toISOString()}` }],
});
