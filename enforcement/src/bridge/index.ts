// The MQTT <-> WebSocket (WSS) bridge between the core broker and the customer origin.
export { startBridge } from './bridge.ts';
export type { Bridge, BridgeOptions } from './bridge.ts';
export { bridgeConfigSchema } from './config.ts';
export type { BridgeConfig, BrokerConfig } from './config.ts';
export {
  compileRule,
  compileRules,
  mapTopic,
  matchFilter,
  filtersOverlap,
  outputFilter,
  findLoops,
  DIRECTIONS,
} from './mapping.ts';
export type { CompiledRule, Direction, LoopRisk, Mapped, MappingRule } from './mapping.ts';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
export { createBridgeMetrics } from './metrics.ts';
export type { BridgeMetrics } from './metrics.ts';
export { HOP_PROPERTY, carriesHop, withHop } from './pipe.ts';
export { clientOptions } from './connection.ts';
export { BridgeError, BridgeErrorCode, BridgeRuleError, DeliveryRejectedError } from './errors.ts';
