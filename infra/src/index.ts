// @sentinel/infra — service recipes shared by the local stack launcher and the integration tests.
export { natsServerConfig, startNats, natsHealthy } from './nats.ts';
export type { NatsNodeOptions, NatsServer, StartNatsOptions } from './nats.ts';
export { SupervisedChild } from './process.ts';
export type { ChildSpec, ChildEvent } from './process.ts';
export { getFreePort, getFreePorts, isListening } from './ports.ts';
export { waitFor, sleep } from './wait.ts';
export { tempDir } from './tmp.ts';
export { startRsyslog, rsyslogConfig, RSYSLOG_LISTENERS } from './rsyslog.ts';
export type { Rsyslog, RsyslogListener, StartRsyslogOptions } from './rsyslog.ts';
export { createTestPki } from './pki.ts';
export type { TestPki } from './pki.ts';
export { startPrometheus } from './prometheus.ts';
export type { PrometheusServer, StartPrometheusOptions } from './prometheus.ts';
export { startMariadb } from './mariadb.ts';
export type { Mariadb, StartMariadbOptions } from './mariadb.ts';
// the reference auth service
export { authServiceConfigSchema } from './auth-service/config.ts';
export type { AuthServiceConfig, AuthDbConfig } from './auth-service/config.ts';
export { startAuthService, openAuthDb } from './auth-service/server.ts';
export type { AuthService, AuthServiceOptions, AuthServiceStats } from './auth-service/server.ts';
export { CredentialStore, DEFAULT_DEVICE_ACL } from './auth-service/store.ts';
export type { AclRules, AuthAnswer, AuthRequest } from './auth-service/store.ts';
export { populateDevices, readCredentials } from './auth-service/populate.ts';
export type { PopulateOptions, PopulateResult } from './auth-service/populate.ts';
export {
  hashSecret,
  verifySecret,
  hmacHash,
  generateSecret,
  HASH_ALGS,
  SCRYPT_PARAMS,
} from './auth-service/hash.ts';
export type { HashAlg, StoredHash } from './auth-service/hash.ts';
export { ensureSchema, TABLES } from './auth-service/schema.ts';
export { startMosquitto, mosquittoConfig } from './mosquitto.ts';
export type {
  MosquittoServer,
  MosquittoTls,
  MosquittoWebSocket,
  StartMosquittoOptions,
} from './mosquitto.ts';
export { createDevice, connectDevice, connackCode, loopbackAddress } from './devices.ts';
export type { DeviceOptions } from './devices.ts';
