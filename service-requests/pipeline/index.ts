// The validation pipeline: named steps, one runner.
export { validateRequest, prevalidateRequest } from './run.ts';
export { GatewayRejection, refuse, runSteps } from './step.ts';
export type { Step, StepContext, ValidateOptions, Prevalidation, PrevalidateOptions } from './step.ts';
export { COMMON_STEPS } from './steps.ts';
