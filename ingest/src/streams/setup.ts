// Creates Sentinel's streams and the bans bucket, idempotently: a stream that exists is updated to the
// configured limits, never recreated, so a restart of any component is safe.
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { DiscardPolicy, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import { BANS_BUCKET, STREAMS, SUBJECTS } from '../contract/subjects.ts';
import type { StreamKey } from '../contract/subjects.ts';
import { IngestError, IngestErrorCode } from '../errors.ts';
import type { StreamsConfig } from '../config/schema.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function streamConfigs(
  cfg: StreamsConfig,
  replicas: number,
): Record<StreamKey, Partial<StreamConfig>> {
  const base = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    duplicate_window: nanos(cfg.duplicateWindowS * 1000),
  };
  const records = { ...base, max_age: nanos(cfg.recordsMaxAgeDays * DAY_MS) };
  return {
    events: {
      ...base,
      name: STREAMS.events,
      subjects: [`${SUBJECTS.events}.>`],
      max_age: nanos(cfg.eventsMaxAgeHours * HOUR_MS),
      max_bytes: cfg.eventsMaxBytes,
      description: 'Every decision an enforcement node takes (DecisionEventV1).',
    },
    incidents: {
      ...records,
      name: STREAMS.incidents,
      subjects: [`${SUBJECTS.incidents}.>`],
      description: 'IncidentV1 records.',
    },
    decisions: {
      ...records,
      name: STREAMS.decisions,
      subjects: [`${SUBJECTS.decisions}.>`],
      description: 'BanDecisionV1 records.',
    },
    actions: {
      ...records,
      name: STREAMS.actions,
      subjects: [`${SUBJECTS.actions}.>`],
      description: 'AnalystActionV1: the audit trail.',
    },
    quarantine: {
      ...base,
      name: STREAMS.quarantine,
      subjects: [`${SUBJECTS.quarantine}.>`],
      max_age: nanos(cfg.quarantineMaxAgeDays * DAY_MS),
      description: 'Messages held back by inspection, for review and release.',
    },
    deadLetter: {
      ...records,
      name: STREAMS.deadLetter,
      subjects: [`${SUBJECTS.deadLetter}.>`],
      description: 'Records a consumer could not process, with the error in headers.',
    },
  };
}

async function upsert(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
    await jsm.streams.update(cfg.name, cfg);
  } catch (err) {
    if (err instanceof Error && /stream not found/i.test(err.message)) {
      await jsm.streams.add(cfg);
      return;
    }
    throw err;
  }
}

export interface StreamsHandle {
  jsm: JetStreamManager;
  bans: KV;
}

/** Create or update every stream and the bans bucket. */
export async function ensureStreams(
  nc: NatsConnection,
  cfg: StreamsConfig,
  replicas = 1,
): Promise<StreamsHandle> {
  const jsm = await jetstreamManager(nc);
  try {
    for (const sc of Object.values(streamConfigs(cfg, replicas))) {
      await upsert(jsm, sc as Partial<StreamConfig> & { name: string });
    }
    const bans = await new Kvm(nc).create(BANS_BUCKET, {
      history: 5,
      replicas,
      description: 'Active bans: key <scope>.<base64url value>, value BanDecisionV1 JSON.',
    });
    return { jsm, bans };
  } catch (err) {
    throw new IngestError(
      IngestErrorCode.StreamSetup,
      `could not create Sentinel's streams: ${(err as Error).message}`,
      {
        cause: err,
        context: { hint: 'is JetStream enabled on the nats-server (jetstream { store_dir: ... })?' },
      },
    );
  }
}
