import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Durable control of a replay or backfill: the API and CLI send these. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');

export interface OperationControlState {
  paused: boolean;
  cancelRequested: boolean;
  position: number;
}

export const controlStateQuery = defineQuery<OperationControlState>('controlState');

export interface OperationInput {
  operationId: string;
  /** Set when continuing as new: the checkpoint already reached. */
  position?: number;
  paused?: boolean;
}
