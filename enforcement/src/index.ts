// @sentinel/enforcement — the enforcement node. The one public door.

// node, service, cluster
export { EnforcementNode } from './node.ts';
export type { NodeDeps, NodePorts } from './node.ts';
export { startEnforcementService, runEnforcement, resolveTlsFiles } from './service.ts';
export type { EnforcementService, EnforcementServiceOptions, RunningEnforcement } from './service.ts';
export { startCluster, ipShard } from './transport/cluster.ts';
export type { ClusterHandle, WorkerSpec } from './transport/cluster.ts';
export { enforcementConfigSchema } from './config.ts';
export type { EnforcementConfig } from './config.ts';
export { EnforcementError, EnforcementErrorCode, ListenError, UpstreamError } from './errors.ts';
export { createNodeMetrics } from './metrics.ts';
export type { NodeMetrics } from './metrics.ts';

// session pipeline and embedded mode
export { Pipeline, connectChecks } from './session/pipeline.ts';
export type { PipelineConfig, PipelineDeps, PublishInspector, ConnectAttempt } from './session/pipeline.ts';
export { ProxySession } from './session/proxy-session.ts';
export type { SessionLimits, ProxyHost } from './session/proxy-session.ts';
export type { PeerInfo, SessionContext, Transport } from './session/context.ts';

// transport
export { ensureDevCertificate, issueDeviceCertificate } from './transport/devcert.ts';
export type { DevCertificate, DeviceCertificate } from './transport/devcert.ts';
export { parseUpstream, upstreamConnector } from './transport/upstream.ts';
export type { UpstreamTarget } from './transport/upstream.ts';

// protocol
export { Framer } from './protocol/framer.ts';
export type { Frame } from './protocol/framer.ts';
export { decodePacket } from './protocol/decode.ts';
export type { DecodeOptions, Decoded } from './protocol/decode.ts';
export type { Packet, MqttVersion, Direction } from './protocol/packets.ts';
export type { Violation } from './protocol/violation.ts';
export { connackCode, subackCode, pubackCode, disconnectCode } from './protocol/codes.ts';

// policy (rate limits, ACLs, auth callout, penalty box)
export {
  ALLOW,
  RATE_TIERS,
  rateLimitsConfigSchema,
  aclRuleSetSchema,
  aclConfigSchema,
  authConfigSchema,
  penaltyBoxConfigSchema,
  toRateLimits,
  DEFAULT_DEVICE_ACL,
  PolicyError,
  PolicyErrorCode,
  TokenBucketRateLimiter,
  TopicAclEngine,
  MemoryPenaltyBox,
  followBans,
  HttpAuthenticator,
} from './policy/index.ts';
export type {
  ConnectIdentity,
  SessionIdentity,
  Verdict,
  Denial,
  RateTier,
  RateLimiter,
  AclRuleSet,
  AuthResult,
  Authenticator,
  SessionAcl,
  AclEngine,
  ActiveBan,
  PenaltyBox,
  RateLimitsConfig,
  AclConfig,
  AuthConfig,
  PenaltyBoxConfig,
} from './policy/index.ts';

// the MQTT <-> WebSocket (WSS) bridge to the customer origin
export {
  startBridge,
  bridgeConfigSchema,
  compileRules,
  mapTopic,
  createBridgeMetrics,
  HOP_PROPERTY,
  BridgeError,
  BridgeRuleError,
} from './bridge/index.ts';
export type {
  Bridge,
  BridgeOptions,
  BridgeConfig,
  BridgeMetrics,
  MappingRule,
  CompiledRule,
  Direction as BridgeDirection,
} from './bridge/index.ts';

// payload inspection and MQTT threat detection
export {
  InspectionEngine,
  DEFAULT_RULES_FILE,
  inspectionConfigSchema,
  inspectionConfig,
  InspectionError,
  InspectionErrorCode,
  RuleFileError,
  QuarantineError,
  inspectionMetrics,
  SentinelInspector,
  createInspector,
  loadRuleFile,
  parseRuleText,
  Decoder,
  QuarantineStore,
} from './inspection/index.ts';
export type {
  InspectionMetrics,
  InspectionConfig,
  InspectionResult,
  Finding,
  SessionFacts,
  PublishFacts,
  CreateInspectorOptions,
  QuarantineRecordV1,
} from './inspection/index.ts';
