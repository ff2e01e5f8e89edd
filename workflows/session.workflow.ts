import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { consentChangedSignal, eventsSignal, summaryQuery, type SessionSummary } from './session.messages';
import { SessionState, type SessionInit } from './session-state';

const { writeDrain } = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '60s',
  // A Postgres outage makes the session wait and retry, never drop: no attempt limit.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Events written per local activity call (one Postgres transaction). */
export const MAX_DRAIN = 1000;
/** Continue-as-new well before Temporal's limits (50k events / 50 MB). */
export const MAX_HISTORY_EVENTS = 2000;
export const MAX_HISTORY_BYTES = 4 * 1024 * 1024;

/**
 * The actor for one device session, `session:<projectId>:<channel>:<device>`.
 * Signals only append; this loop drains the buffer and writes each drain with
 * one local activity (one transaction). One idle timer is armed at a time; the
 * run ends after `idleMs` without events and the next signalWithStart begins a
 * new run.
 */
export async function sessionWorkflow(init: SessionInit): Promise<SessionSummary> {
  const scope = { projectId: init.projectId, channel: init.channel, deviceKey: init.deviceKey };
  const state = new SessionState(scope, init.carried);
  let lastActivityMs = Date.now();
  let idleDue = false;
  let recheckHeld = false;
  let holdTimerArmed = false;

  setHandler(eventsSignal, (batch) => {
    state.enqueue(batch);
    lastActivityMs = Date.now();
  });
  setHandler(consentChangedSignal, () => {
    if (state.hasHeld()) recheckHeld = true;
  });
  setHandler(summaryQuery, () => state.summary());

  // Opt-in events wait for consent up to the project's hold window; one timer for the earliest deadline.
  const armHoldTimer = () => {
    const deadline = state.nextHoldDeadlineMs();
    if (deadline === null || holdTimerArmed) return;
    holdTimerArmed = true;
    void sleep(Math.max(1, deadline - Date.now())).then(() => {
      holdTimerArmed = false;
      recheckHeld = true;
    });
  };

  const armIdleTimer = (ms: number) => {
    void sleep(ms).then(() => {
      idleDue = true;
    });
  };
  armIdleTimer(init.idleMs);

  for (;;) {
    await condition(() => state.hasPending() || idleDue || recheckHeld);

    if (state.hasPending() || recheckHeld) {
      const { workflowId, runId } = workflowInfo();
      const drain = state.takeDrain(MAX_DRAIN, Date.now(), recheckHeld);
      recheckHeld = false;
      const result = await writeDrain({ workflowId, runId, ...drain });
      if (result.held?.length && patched('consent-hold')) state.hold(drain.events, result.held, Date.now(), result.consentHoldMs);
      state.recordWrite(result);
      armHoldTimer();
      lastActivityMs = Date.now();
      if (historyIsLong()) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof sessionWorkflow>({ ...init, carried: state.carry() });
      }
      continue;
    }

    const quietMs = Date.now() - lastActivityMs;
    if (quietMs >= init.idleMs && !state.hasHeld()) {
      await condition(allHandlersFinished);
      if (!state.hasPending()) return state.summary();
      continue;
    }
    idleDue = false;
    armIdleTimer(init.idleMs - quietMs);
  }
}

function historyIsLong(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= MAX_HISTORY_EVENTS || info.historySize >= MAX_HISTORY_BYTES;
}
