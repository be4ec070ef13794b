// @sentinel/ingest — the event contract and the pipeline that carries it. The one public door.

// contract
export {
  SCHEMA_VERSION,
  EVENT_KINDS,
  DECISIONS,
  PROTOCOL_VERSIONS,
  PACKET_TYPES,
  INCIDENT_STATUSES,
  IDENTITY_SCOPES,
  BAN_ACTIONS,
  DECISION_ORIGINS,
  ACTION_TYPES,
} from './contract/v1.ts';
export type {
  EventKind,
  Decision,
  ProtocolVersion,
  PacketType,
  EventSubject,
  EventMqtt,
  EventRule,
  RuleValue,
  DecisionEventV1,
  IncidentStatus,
  IdentityScope,
  IdentityRef,
  IncidentV1,
  BanAction,
  DecisionOrigin,
  BanDecisionV1,
  ActionType,
  AnalystActionV1,
} from './contract/v1.ts';
export { REASONS, isReasonCode, reasonInfo } from './contract/reasons.ts';
export type { ReasonCode, ReasonInfo } from './contract/reasons.ts';
export { MITRE_TECHNIQUES, technique, techniqueUrl } from './contract/mitre.ts';
export type { Technique, TechniqueId } from './contract/mitre.ts';
export { ulid, isUlid, ulidTime } from './contract/ulid.ts';
export {
  STREAMS,
  SUBJECTS,
  BANS_BUCKET,
  eventSubject,
  deadLetterSubject,
  banKey,
  parseBanKey,
} from './contract/subjects.ts';
export type { StreamKey } from './contract/subjects.ts';
export {
  validateDecisionEvent,
  checkDecisionEvent,
  validateIncident,
  validateBanDecision,
  validateAnalystAction,
  formatProblems,
} from './contract/validate.ts';
export type { FieldProblem, Validated } from './contract/validate.ts';
export { isValidDecisionEvent } from './contract/accept.ts';
export { makeEvent } from './contract/make.ts';
export type { EventInit } from './contract/make.ts';

// config
export { parseConfig, schemaLeaves, envName, ENV_PREFIX } from './config/parse.ts';
export type { ConfigSources } from './config/parse.ts';
export { natsConfigSchema, streamsConfigSchema, publisherConfigSchema } from './config/schema.ts';
export type { NatsConfig, StreamsConfig, PublisherConfig } from './config/schema.ts';

// errors
export { IngestError, IngestErrorCode, ConfigError, InvalidRecordError } from './errors.ts';
export type { ConfigErrorDetails } from './errors.ts';

// streams, publisher, consumer
export { ensureStreams, streamConfigs } from './streams/setup.ts';
export type { StreamsHandle } from './streams/setup.ts';
export { connectNats } from './streams/connect.ts';
export type { ConnectOptions } from './streams/connect.ts';
export { EventPublisher } from './publisher/publisher.ts';
export type { PublisherOptions, PublisherStats, PublishOutcome } from './publisher/publisher.ts';
export { DiskSpool } from './publisher/spool.ts';
export type { SpoolRecord, SpoolOptions } from './publisher/spool.ts';
export { HpubWriter, natsInternalsUsable } from './publisher/hpub.ts';
export { AckReader, readAck } from './publisher/ack.ts';
export type { AckAnswer } from './publisher/ack.ts';
export { DurableConsumer } from './consumer/consumer.ts';
export { parseDelivery } from './consumer/delivery.ts';
export { CumulativeAcks } from './consumer/cumulative-acks.ts';
export type { Ackable, ForeignPending } from './consumer/cumulative-acks.ts';
export type { Delivery } from './consumer/delivery.ts';
export type { ConsumerOptions, ConsumedRecord } from './consumer/consumer.ts';

// external intake (HTTP, syslog)
export {
  intakeConfigSchema,
  intakeHttpConfigSchema,
  intakeSyslogConfigSchema,
  intakeKafkaConfigSchema,
} from './intake/config.ts';
export { readKafkaValue } from './intake/kafka.ts';
export type {
  IntakeConfig,
  IntakeHttpConfig,
  IntakeSyslogConfig,
  IntakeKafkaConfig,
} from './intake/config.ts';
export { startIntake, checkIntakeConfig } from './intake/service.ts';
export type { IntakeService, StartIntakeOptions } from './intake/service.ts';
export { readBatch, MAX_REPORTED_PROBLEMS } from './intake/batch.ts';
export type { BatchProblem, BatchResult } from './intake/batch.ts';
export { parseSyslog } from './intake/syslog/message.ts';
export type { SyslogMessage } from './intake/syslog/message.ts';
export { SyslogFramer } from './intake/syslog/framing.ts';
export type { FramerEvents, FramingError } from './intake/syslog/framing.ts';
export { SyslogMapper, syslogNode, NODE_PREFIX } from './intake/syslog/map.ts';
export type { SyslogOutcome } from './intake/syslog/map.ts';
export { MosquittoMapper } from './intake/syslog/mosquitto.ts';
export { intakeMetrics, INTAKE_SOURCES, INTAKE_OUTCOMES } from './intake/metrics.ts';
export type { IntakeMetrics, IntakeSource, IntakeOutcome } from './intake/metrics.ts';
export { tokenMatches } from './intake/http.ts';

// metrics, logging, supervision
export { ingestMetrics } from './metrics/ingest-metrics.ts';
export type { IngestMetrics } from './metrics/ingest-metrics.ts';
export { createLogger, silentLogger, redact } from './util/log.ts';
export type { Logger, LogLevel } from './util/log.ts';
export { supervise, backoffDelay } from './util/supervise.ts';
export type { SuperviseOptions } from './util/supervise.ts';
