import { AckPolicy, DeliverPolicy, DiscardPolicy, nanos, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import { RAW_STREAM, RAW_SUBJECTS } from '../../contracts/wire';

export interface RawStreamOptions {
  duplicateWindowMs: number;
  /** Copies of every message across a NATS cluster (num_replicas); left as it is when absent. */
  replicas?: number;
}

/**
 * Creates BRAID_RAW, or updates the settings braid owns on it. Never deletes
 * it: the raw stream is the source of truth that replays read.
 */
export async function ensureRawStream(jsm: JetStreamManager, options: RawStreamOptions): Promise<void> {
  const wanted: Partial<StreamConfig> = {
    ...(options.replicas === undefined ? {} : { num_replicas: options.replicas }),
    subjects: [RAW_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: 0,
    duplicate_window: nanos(options.duplicateWindowMs),
    allow_direct: true,
    deny_delete: false,
    deny_purge: true,
  };
  try {
    const info = await jsm.streams.info(RAW_STREAM);
    const current = info.config;
    const differs =
      current.duplicate_window !== wanted.duplicate_window ||
      !current.subjects.includes(RAW_SUBJECTS) ||
      (wanted.num_replicas !== undefined && current.num_replicas !== wanted.num_replicas);
    if (differs) {
      await jsm.streams.update(RAW_STREAM, { ...current, ...wanted, subjects: [...new Set([...current.subjects, RAW_SUBJECTS])] });
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.streams.add({ name: RAW_STREAM, ...wanted });
    } catch (addError) {
      // Another process created it between our look and our add.
      if (!/already in use|already exists/i.test(String((addError as Error).message))) throw addError;
    }
  }
}

export interface IngestConsumerOptions {
  durable: string;
  filterSubject: string;
  ackWaitMs: number;
  maxAckPending: number;
}

/**
 * The durable pull consumer ingest binds to by name. Redelivery has no server
 * limit: braid counts deliveries itself and turns a message that keeps failing
 * into a recorded rejection, so nothing is dropped without a trace.
 */
export async function ensureIngestConsumer(jsm: JetStreamManager, options: IngestConsumerOptions): Promise<void> {
  const config = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: options.filterSubject,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: options.maxAckPending,
  };
  try {
    const info = await jsm.consumers.info(RAW_STREAM, options.durable);
    if (info.config.filter_subject !== options.filterSubject) {
      throw new Error(
        `consumer ${options.durable} filters ${info.config.filter_subject}, not ${options.filterSubject}; pick another BRAID_INGEST_DURABLE`,
      );
    }
    if (info.config.ack_wait !== config.ack_wait || info.config.max_ack_pending !== config.max_ack_pending) {
      await jsm.consumers.update(RAW_STREAM, options.durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(RAW_STREAM, config);
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: string; api_error?: { err_code?: number }; message?: string };
  return e.code === '404' || e.api_error?.err_code === 10059 || e.api_error?.err_code === 10014 || /not found/i.test(e.message ?? '');
}
