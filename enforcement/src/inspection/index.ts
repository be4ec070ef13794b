// Payload inspection and MQTT threat detection: the public surface, re-exported by the package door.

// engine
export { InspectionEngine, DEFAULT_RULES_FILE } from './engine.ts';
export type { InspectionEngineOptions } from './engine.ts';
export { INSPECTION_ACTIONS, ACTION_RANK, CLEAN, resultOf } from './types.ts';
export type { InspectionAction, Finding, InspectionResult, SessionFacts, PublishFacts } from './types.ts';
export { inspectionConfigSchema, inspectionConfig } from './config.ts';
export type { InspectionConfig, SignedTopicConfig } from './config.ts';
export { InspectionError, InspectionErrorCode, RuleFileError, QuarantineError } from './errors.ts';
export { inspectionMetrics } from './metrics.ts';
export type { InspectionMetrics } from './metrics.ts';

export { SentinelInspector } from './inspector.ts';
export { createInspector } from './factory.ts';
export type { CreateInspectorOptions } from './factory.ts';
export type { SentinelInspectorOptions } from './inspector.ts';

// signatures
export {
  parseRuleText,
  loadRuleFile,
  compileRules,
  RULE_ACTIONS,
  RULE_CATEGORIES,
  SEVERITY_LEVELS,
} from './rules.ts';
export type { RuleSet, CompiledRule, RuleAction, RuleCategory, RuleSpec } from './rules.ts';
export { SignatureMatcher } from './signatures.ts';
export type { SignatureHit } from './signatures.ts';
export { RuleFileWatcher } from './reload.ts';
export type { ReloadOutcome, RuleReloadOptions } from './reload.ts';
export { Decoder, decodeRound, mayNeedDecoding } from './decode.ts';
export { buildAutomaton, scan } from './automaton.ts';
export type { Automaton } from './automaton.ts';
export { VERIFIERS } from './verifiers.ts';
export { safeDisplay, safeDisplayString } from './display.ts';
export { topicMatches, isValidFilter } from './topic.ts';

// anomalies and threats
export { shannonEntropy, ConnectRateTracker, BaselineTracker } from './anomaly.ts';
export { EnumerationTracker } from './threats/enumeration.ts';
export { QosTracker } from './threats/qos.ts';
export type { Qos2Step } from './threats/qos.ts';
export { RetainTracker } from './threats/retain.ts';
export { LocalSessionRegistry, conflictFinding } from './threats/identity.ts';
export { SessionRelay, SharedSessionRegistry, isSessionRegistryMessage } from './threats/shared-registry.ts';
export type { SessionRegistryMessage } from './threats/shared-registry.ts';
export type { SessionRegistry, LiveSession, IdentityConflict } from './threats/identity.ts';
export {
  SignedTopicVerifier,
  NonceMemory,
  signedData,
  extractSigned,
  SIGNATURE_PROPERTIES,
} from './threats/signed.ts';
export type { SignedFields } from './threats/signed.ts';
export { BridgeLoopDetector, stampHop } from './threats/bridge.ts';
export { BoundedMap, WindowCounter } from './bounded.ts';

// quarantine
export { QuarantineStore, quarantineRecord, quarantineSubject } from './quarantine.ts';
export type {
  QuarantineRecordV1,
  QuarantinePublisher,
  QuarantineStoreOptions,
  StoredQuarantine,
} from './quarantine.ts';
