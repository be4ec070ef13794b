// The policy steps of the enforcement pipeline: rate limits, topic ACLs, penalty box, auth callout.
// Part of the enforcement package door (src/index.ts re-exports these names).
export { ALLOW, RATE_TIERS } from './types.ts';
export type {
  ConnectIdentity,
  SessionIdentity,
  Denial,
  Allowance,
  Verdict,
  RateTier,
  TierLimit,
  RateLimits,
  RateLimiter,
  AclRuleSet,
  AuthResult,
  Authenticator,
  SessionAcl,
  AclEngine,
  ActiveBan,
  PenaltyBox,
} from './types.ts';
export {
  rateLimitsConfigSchema,
  aclRuleSetSchema,
  aclConfigSchema,
  authConfigSchema,
  penaltyBoxConfigSchema,
  toRateLimits,
  TIER_CONFIG_KEYS,
  DEFAULT_DEVICE_ACL,
} from './config.ts';
export type { RateLimitsConfig, AclConfig, AuthConfig, PenaltyBoxConfig } from './config.ts';
export { PolicyError, PolicyErrorCode } from './errors.ts';
export { TokenBucketRateLimiter, BucketMap } from './rate-limit.ts';
export type { RateLimiterOptions } from './rate-limit.ts';
export { TopicAclEngine } from './acl.ts';
export type { AclEngineOptions } from './acl.ts';
export {
  topicMatches,
  filterCovers,
  filtersIntersect,
  isValidFilter,
  hasWildcard,
  FilterMatcher,
} from './topic.ts';
export { MemoryPenaltyBox, normalizeFingerprint } from './penalty-box.ts';
export type { Allowlist, CheckIdentity } from './penalty-box.ts';
export { followBans } from './ban-follower.ts';
export type { BanFollower, BanFollowerOptions } from './ban-follower.ts';
export { parseIp, parseCidr, canonicalIp, PrefixTrie } from './ip.ts';
export type { ParsedIp, ParsedCidr } from './ip.ts';
export { HttpAuthenticator, undiciTransport } from './auth.ts';
export type {
  AuthCalloutRequest,
  AuthTransport,
  AuthMetricsHooks,
  CalloutOutcome,
  HttpAuthenticatorOptions,
} from './auth.ts';
export { AuthCache } from './auth-cache.ts';
export type { CachedAuth } from './auth-cache.ts';
