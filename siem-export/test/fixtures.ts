// Fixed records for golden files: ids and times are constants so the output never changes by itself.
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import type { ExportRecord, FormatOptions } from '../src/index.ts';
import { DEFAULT_FORMAT_OPTIONS } from '../src/index.ts';

export const TS = Date.UTC(2026, 10, 3, 7, 5, 9, 42);

export const bruteForce: DecisionEventV1 = {
  v: 1,
  id: '01KAAAAAAAAAAAAAAAAAAAAAAA',
  ts: TS,
  node: 'edge-1',
  kind: 'auth',
  decision: 'deny',
  reason: 'auth.bad_credentials',
  severity: 5,
  subject: { clientId: 'meter-0042', username: 'meter', ip: '192.0.2.10', port: 51514, protocolVersion: 5 },
  mqtt: { packetType: 'connect' },
  rule: { id: 'auth.callout', technique: 'T1110', values: { attempts: 12, score: 73 } },
  message: 'bad password for meter (12 attempts in 60 s)',
};

export const aclDenied: DecisionEventV1 = {
  v: 1,
  id: '01KAAAAAAAAAAAAAAAAAAAAAAB',
  ts: TS + 1,
  node: 'edge-2',
  kind: 'acl',
  decision: 'deny',
  reason: 'acl.publish_denied',
  severity: 5,
  subject: { clientId: 'plc-7', ip: '2001:db8::7', port: 40000 },
  mqtt: { packetType: 'publish', topic: 'plant/line1/valve/set', qos: 1 },
  rule: { id: 'acl.devices', technique: 'T0855' },
};

export const publishSummary: DecisionEventV1 = {
  v: 1,
  id: '01KAAAAAAAAAAAAAAAAAAAAAAC',
  ts: TS + 2,
  node: 'edge-1',
  kind: 'publish_summary',
  decision: 'allow',
  reason: 'publish.summary',
  severity: 0,
  subject: { clientId: 'meter-0042', ip: '192.0.2.10' },
  mqtt: { messages: 120, bytes: 48000, intervalMs: 60000 },
};

export const hostileEvent: DecisionEventV1 = {
  v: 1,
  id: '01KAAAAAAAAAAAAAAAAAAAAAAD',
  ts: TS + 3,
  node: 'edge|1 =x',
  kind: 'inspection',
  decision: 'deny',
  reason: 'inspect.sqli',
  severity: 7,
  subject: { clientId: 'a|b\\c=d', username: 'x"y]z', ip: '198.51.100.1', port: 1883 },
  mqtt: { packetType: 'publish', topic: "t/' OR 1=1 --\r\nCEF:0|fake|" },
  rule: { id: 'sig.sqli.or_true', technique: 'T1190', matched: "' OR 1=1" },
  message: 'line one\nline two\ttabbed \u0000nul ü 🚨',
};

export const incident: IncidentV1 = {
  v: 1,
  id: '01KAAAAAAAAAAAAAAAAAAAAAAE',
  ts: TS + 4,
  incidentId: 'inc-01KAAAAAAAAAAAAAAAAAAAAAAA',
  rule: 'auth.brute_force',
  title: 'Credential brute force against meter',
  severity: 8,
  status: 'new',
  technique: 'T1110',
  tactic: 'Credential Access',
  identity: { scope: 'ip', value: '192.0.2.10' },
  firstSeen: TS - 60_000,
  lastSeen: TS,
  eventCount: 57,
  eventIds: ['01KAAAAAAAAAAAAAAAAAAAAAAA'],
  remediation: 'Rotate the device credential.',
};

export const goldenRecords: ExportRecord[] = [
  { type: 'event', value: bruteForce },
  { type: 'event', value: aclDenied },
  { type: 'event', value: publishSummary },
  { type: 'event', value: hostileEvent },
  { type: 'incident', value: incident },
];

export const goldenOptions: FormatOptions = { ...DEFAULT_FORMAT_OPTIONS, procId: '4242' };
