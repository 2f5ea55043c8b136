/** 3.3 Clear Event Log: the ESME's event log (ECS15a) or its ALCS log (ECS15c), or the GSME's (CS11). */
import { deviceCommandService } from './device-command.ts';
import { bodies, esmeClearEventLog, gsmeClearEventLog } from './display-commands.ts';

export const clearEventLog = deviceCommandService({
  variant: '3.3',
  displayName: 'Clear Event Log',
  body: bodies.clearEventLog,
  sender: 'supplier',
  command(b, type, { counter }) {
    if (type === 'ESME') {
      // ESMEEventLogType says which of the ESME's logs; without it, the ESME's own
      const log = b.log ?? 'ESME';
      return { useCase: log === 'ESME' ? 'ECS15a' : 'ECS15c', messageCode: log === 'ESME' ? 0x0024 : 0x00c1, payload: esmeClearEventLog(counter, log) };
    }
    if (type === 'GSME') return b.log ? `ESMEEventLogType ${b.log} names an ESME log, and the target is a GSME` : { useCase: 'CS11', messageCode: 0x0015, payload: gsmeClearEventLog() };
    return `an event log is cleared on an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'clear-event-log', body: () => ({ kind: 'ClearEventLog' as const }) },
  describe: (b) => (b.log ? [{ label: 'ESMEEventLogType', value: b.log }] : []),
});
