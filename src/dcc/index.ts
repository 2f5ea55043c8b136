// The DCC itself: the orchestrator (one transaction per accepted request), requests run whole on
// worker threads and committed by the main thread (speculation.ts), the outbox that delivers
// asynchronous responses, request-log retention, the metrics, and (PostgreSQL) what the world's
// other servers commit, heard live (peer-events.ts).
// The door of src/dcc/: other folders import only this file.
export { Dcc } from './dcc.ts';
export { isFailureCode } from './dcc.ts';
export type { DccOptions, DccAnswer, RequestEvent, LocalDelivery } from './dcc.ts';
export { OutboxDelivery } from './outbox.ts';
export { ReleasingMap, ReleasingSet } from './releasing.ts';
export { Cancellation } from './cancellation.ts';
export type { OutboxOptions, OutboxStats } from './outbox.ts';
export { PipelineMetrics, prometheusText } from './metrics.ts';
export { PeerEvents, PEER_CHANNEL, SERVER_NAME } from './peer-events.ts';
export type { PeerRequestEvent, PeerEventsOptions } from './peer-events.ts';
export type { MetricsSnapshot, RequestFigures, SandboxFigures, StageFigures, StoreFigures, WorkerFigures } from './metrics.ts';
export { PrevalidationPool, defaultWorkerCount, peekOriginator, originatorLane } from './prevalidation-pool.ts';
export type { PrevalidationPoolOptions, PrevalidationStats } from './prevalidation-pool.ts';
export { RequestLogRetention, DEFAULT_KEEP_XML } from './retention.ts';
export { CREDENTIALS_EVENTS, CELL_GROUPS, RecoveryOrderError } from './recovery.ts';
export { loadMirroredGsme, storedAppState } from './device-state.ts';
export type { RecoveryOrder, RecoveryResult, RecoveryDeviceResult, CredentialsEvent, CellGroup } from './recovery.ts';
