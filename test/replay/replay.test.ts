import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it, inject } from 'vitest';
import { installTemporalRuntime } from '../../workers/braid-worker';

/**
 * Recorded histories of the session workflow (the type before hosts, kept for
 * runs still going after an upgrade) and of the host workflow must replay against today's workflow code. A
 * change that breaks them needs patched(); re-record with `npm run record-histories`.
 */
const dir = join(__dirname, 'histories');
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, history: JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Record<string, unknown>[] } }));

const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

describe('session and host workflow replay', () => {
  installTemporalRuntime();

  it('has recorded histories to replay', () => {
    expect(histories.filter((h) => h.file.startsWith('session-')).length).toBeGreaterThanOrEqual(2);
    expect(histories.filter((h) => h.file.startsWith('host-')).length).toBeGreaterThanOrEqual(3);
  });

  it.each(histories)('replays $file deterministically', async ({ file, history }) => {
    await expect(Worker.runReplayHistory(replayOptions(), history, file)).resolves.toBeUndefined();
  });

  it.each(['session-three-signals.json', 'host-three-notices.json'])('fails with a determinism error when %s no longer matches the code', async (file) => {
    const { history } = histories.find((h) => h.file === file)!;
    const tampered = structuredClone(history);
    // The workflow's first command after a signal is the local activity (a marker);
    // pretend the recorded run started a timer there instead.
    const marker = tampered.events.find((e) => e.eventType === 'EVENT_TYPE_MARKER_RECORDED')!;
    const { markerRecordedEventAttributes: _, ...rest } = marker;
    Object.assign(marker, rest, {
      eventType: 'EVENT_TYPE_TIMER_STARTED',
      markerRecordedEventAttributes: undefined,
      timerStartedEventAttributes: { timerId: '99', startToFireTimeout: '5s', workflowTaskCompletedEventId: '5' },
    });
    delete marker.markerRecordedEventAttributes;
    await expect(Worker.runReplayHistory(replayOptions(), tampered, 'tampered')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
