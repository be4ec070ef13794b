// How a denial reads on the wire for each protocol version: CONNACK return/reason codes (3.1.1 table
// 3.1, 5.0 section 3.2.2.2), SUBACK/PUBACK reason codes and the 5.0 DISCONNECT reason (3.14.2.1).
import type { ReasonCode } from '@sentinel/ingest';
import type { MqttVersion } from './packets.ts';

export const CONNACK_V4 = {
  accepted: 0x00,
  unacceptableVersion: 0x01,
  identifierRejected: 0x02,
  serverUnavailable: 0x03,
  badCredentials: 0x04,
  notAuthorized: 0x05,
} as const;

export const RC5 = {
  success: 0x00,
  unspecified: 0x80,
  malformed: 0x81,
  protocolError: 0x82,
  unsupportedVersion: 0x84,
  clientIdNotValid: 0x85,
  badCredentials: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverShuttingDown: 0x8b,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  banned: 0x8a,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  connectionRateExceeded: 0x9f,
} as const;

/** SUBACK failure in 3.1.1 [MQTT-3.9.3]. */
export const SUBACK_FAILURE_V4 = 0x80;

/** The CONNACK code that answers a CONNECT denied for `reason`. */
export function connackCode(reason: ReasonCode, version: MqttVersion): number {
  const v5 = version === 5;
  switch (reason) {
    case 'rate.connect':
      return v5 ? RC5.connectionRateExceeded : CONNACK_V4.notAuthorized;
    case 'rate.global':
    case 'rate.per_ip':
      return v5 ? RC5.quotaExceeded : CONNACK_V4.notAuthorized;
    case 'penalty.banned':
      return v5 ? RC5.banned : CONNACK_V4.notAuthorized;
    case 'auth.bad_credentials':
    case 'auth.unknown_client':
    case 'auth.missing_credentials':
      return v5 ? RC5.badCredentials : CONNACK_V4.badCredentials;
    case 'auth.unavailable':
    case 'connect.upstream_unavailable':
      return v5 ? RC5.serverUnavailable : CONNACK_V4.serverUnavailable;
    case 'protocol.unsupported_version':
      return v5 ? RC5.unsupportedVersion : CONNACK_V4.unacceptableVersion;
    case 'protocol.missing_field':
      return v5 ? RC5.clientIdNotValid : CONNACK_V4.identifierRejected;
    default:
      return v5 ? RC5.notAuthorized : CONNACK_V4.notAuthorized;
  }
}

/** The SUBACK code for a filter denied for `reason`. */
export function subackCode(reason: ReasonCode, version: MqttVersion): number {
  if (version !== 5) return SUBACK_FAILURE_V4;
  return reason.startsWith('rate.') ? RC5.quotaExceeded : RC5.notAuthorized;
}

/** The 5.0 PUBACK code for a QoS 1 PUBLISH denied for `reason`. */
export function pubackCode(reason: ReasonCode): number {
  return reason.startsWith('rate.') ? RC5.quotaExceeded : RC5.notAuthorized;
}

/** The 5.0 DISCONNECT reason for closing a session because of `reason`. */
export function disconnectCode(reason: ReasonCode): number {
  switch (reason) {
    case 'protocol.malformed':
    case 'protocol.malformed_remaining_length':
    case 'protocol.invalid_utf8':
    case 'protocol.invalid_qos':
    case 'protocol.reserved_flags':
      return RC5.malformed;
    case 'protocol.packet_too_large':
      return RC5.packetTooLarge;
    case 'protocol.invalid_topic':
      return RC5.topicNameInvalid;
    case 'protocol.keepalive_timeout':
      return RC5.keepAliveTimeout;
    case 'penalty.session_closed':
      return RC5.administrativeAction;
    case 'disconnect.server_shutdown':
      return RC5.serverShuttingDown;
    case 'disconnect.session_taken_over':
      return RC5.sessionTakenOver;
    case 'disconnect.slow_consumer':
      return RC5.quotaExceeded;
    default:
      return reason.startsWith('protocol.') ? RC5.protocolError : RC5.unspecified;
  }
}
