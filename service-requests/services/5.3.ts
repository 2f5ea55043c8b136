/** 5.3 Delete Schedule: the sender's DCC schedules stop, one by its DSPScheduleID or all of a device's (non-device, I0). */
import { serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';
import { isHeld } from './dsp-held.ts';
import { describeSelection, scheduleSelectionBody, selectionExample, selectionNeeds, type ScheduleSelection } from './schedule-selection.ts';

/** dcc-sim's assignment of the E0503xx codes the 5.4 XSD defines. */
export const Codes0503 = {
  notFound: 'E050301', // the sender has no such schedule (another User's schedules are not touched)
} as const;

export const deleteSchedule: ServiceModule<ScheduleSelection<'DeleteSchedule'>> = {
  ...serviceFacts('5.3'),
  displayName: 'Delete Schedule',
  body: scheduleSelectionBody('DeleteSchedule'),
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: selectionExample('DeleteSchedule', 'delete-schedules'),
  describe: describeSelection,
  needs: (v) => selectionNeeds(v.request.body),
  handle(v, state) {
    const mine = state.schedules!.found.filter((s) => s.originatorEui === v.request.requestId.originator && !isHeld(s.details));
    if (mine.length === 0) refuse(v, Codes0503.notFound, 'schedule', `${v.sender.name} has no such DCC schedule`);
    return {
      step: { name: 'schedule', detail: `schedules ${mine.map((s) => s.id).join(', ')} deleted` },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
      schedules: mine.map((s) => ({ kind: 'delete' as const, id: s.id })),
    };
  },
};
