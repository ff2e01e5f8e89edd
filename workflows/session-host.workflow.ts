import { allHandlersFinished, condition, continueAsNew, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { consentChangedSignal, hostNoticeSignal, hostSummaryQuery, type HostSummary } from './session.messages';
import { HostState, type HostCarry } from './session-host-state';

const { drainHost } = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '120s',
  // A Postgres outage makes the host wait and retry, never drop: no attempt limit.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Staged rows written per drain (one local activity, one Postgres transaction). */
export const MAX_HOST_DRAIN = 2000;
/** Continue-as-new well before Temporal's limits (50k events / 50 MB). */
export const MAX_HOST_HISTORY_EVENTS = 4000;

export interface HostInit {
  projectId: string;
  /** How long the run waits without news before it ends (the next notice starts a new run). */
  idleMs: number;
  carried?: HostCarry;
}

/**
 * The durable mailbox of many device actors: `sessions:<projectId>:<n>`
 * (or `device:<projectId>:<channel>:<id>` when each device has its own).
 * Notices only set a flag; the loop drains the host's staged rows in source
 * order with one local activity per drain, where each device's events are
 * stitched, sessionized, admitted and written. It waits for the earliest
 * consent hold to end, and ends after `idleMs` without news when it holds
 * nothing.
 */
export async function sessionHostWorkflow(init: HostInit): Promise<HostSummary> {
  const { workflowId } = workflowInfo();
  const state = new HostState(init.projectId, workflowId, init.carried);
  let lastActivityMs = Date.now();

  setHandler(hostNoticeSignal, (notice) => {
    state.notice(notice);
    lastActivityMs = Date.now();
  });
  setHandler(consentChangedSignal, () => state.consentChanged());
  setHandler(hostSummaryQuery, () => state.summary());

  for (;;) {
    if (state.hasWork(Date.now())) {
      const result = await drainHost({ projectId: init.projectId, hostId: workflowId, runId: workflowInfo().runId, limit: MAX_HOST_DRAIN, ...state.nextDrain(Date.now()) });
      state.record(result, Date.now());
      if (result.taken > 0) lastActivityMs = Date.now();
      if (!state.inPass() && historyIsLong()) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof sessionHostWorkflow>({ ...init, carried: state.carry() });
      }
      continue;
    }
    const waitMs = state.waitMs(Date.now(), lastActivityMs, init.idleMs);
    if (waitMs === 0) {
      await condition(allHandlersFinished);
      if (!state.hasWork(Date.now())) return state.summary();
      continue;
    }
    await condition(() => state.hasWork(Date.now()), waitMs);
  }
}

function historyIsLong(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= MAX_HOST_HISTORY_EVENTS;
}
