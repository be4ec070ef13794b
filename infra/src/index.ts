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
