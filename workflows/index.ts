// The workflow bundle's entry point: every workflow the worker runs.
export { sessionWorkflow } from './session.workflow';
export { operationWorkflow } from './operation.workflow';
export { sessionHostWorkflow } from './session-host.workflow';
export { lakeExportWorkflow } from './lake-export.workflow';
