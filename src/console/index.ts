// The operator console's server side: its static files, the device and cell views it shows, the
// request inspector and the console's own send form. The door of src/console/: other folders
// import only this file.
export { consolePlugin, sendAsset, PUBLIC_DIR, CONTENT_SECURITY_POLICY } from './static.ts';
export { consoleDeviceView, POST_COMMISSIONING_DAYS, REASON_TEXT } from './cells.ts';
export { consoleMeterView } from './meter-panel.ts';
export type { ConsoleDeviceView, ComplianceView, PartyRef, SlotMatch, SlotView } from './cells.ts';
export { requestDetail } from './inspect.ts';
export { timelineCsvHeader, timelineCsvRow } from './timeline-export.ts';
export type { ExportedRequest } from './timeline-export.ts';
export type { RequestDetail, Field, GbcsView, DuisView } from './inspect.ts';
export { sendFromConsole, ConsoleInputError, CONSOLE_SERVICES } from './send.ts';
export { libraryEntries, libraryExample, librarySend, librarySign } from './library.ts';
export type { LibraryEntry, LibraryLeg, LibrarySendResult } from './library.ts';
export type { ConsoleSendInput, ConsoleSendResult, ConsoleLeg, ConsoleService, ConsoleRole } from './send.ts';
export { registerOpenApi, OPENAPI_INFO, OPENAPI_TAGS } from './openapi.ts';
