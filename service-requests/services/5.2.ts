/** 5.2 Read Schedule: the sender's DCC schedules, one by its DSPScheduleID or all of a device's (non-device, I0 with DSPSchedulesRead). */
import { serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';
import { isHeld } from './dsp-held.ts';
import { scheduleDetailsXml, scheduleFromJson } from './dcc-schedules.ts';
import { describeSelection, scheduleSelectionBody, selectionExample, selectionNeeds, type ScheduleSelection } from './schedule-selection.ts';

/** dcc-sim's assignment of the E0502xx codes the 5.4 XSD defines. */
export const Codes0502 = {
  notFound: 'E050201', // the sender has no such schedule (another User's schedules are not shown)
} as const;

export const readSchedule: ServiceModule<ScheduleSelection<'ReadSchedule'>> = {
  ...serviceFacts('5.2'),
  displayName: 'Read Schedule',
  body: scheduleSelectionBody('ReadSchedule'),
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: selectionExample('ReadSchedule', 'read-schedules'),
  describe: describeSelection,
  needs: (v) => selectionNeeds(v.request.body),
  handle(v, state) {
    const mine = state.schedules!.found.filter((s) => s.originatorEui === v.request.requestId.originator && !isHeld(s.details)).slice(0, 99);
    if (mine.length === 0) refuse(v, Codes0502.notFound, 'schedule', `${v.sender.name} has no such DCC schedule`);
    return {
      step: { name: 'schedule', detail: `schedules ${mine.map((s) => s.id).join(', ')}` },
      answer: { responseCode: Codes.success, content: { dspSchedulesRead: mine.map((s) => ({ id: s.id, detailsXml: scheduleDetailsXml(scheduleFromJson(s.details)) })) } },
      advanceCounter: true,
    };
  },
};
