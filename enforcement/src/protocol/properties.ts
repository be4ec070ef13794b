// MQTT 5 properties (spec 2.2.2.2): which identifiers each packet may carry, their types, their allowed
// values, and which may repeat. Decoding validates as it reads, so a bad property never reaches policy.
import type { Reader } from './reader.ts';
import { violate } from './violation.ts';

/** Where a property list sits. `will` is the Will Properties of CONNECT. */
export type PropertyPlace =
  | 'connect'
  | 'connack'
  | 'publish'
  | 'puback'
  | 'pubrec'
  | 'pubrel'
  | 'pubcomp'
  | 'subscribe'
  | 'suback'
  | 'unsubscribe'
  | 'unsuback'
  | 'disconnect'
  | 'auth'
  | 'will';

type PropType = 'byte' | 'bool' | 'u16' | 'u32' | 'varint' | 'utf8' | 'binary' | 'pair';

interface PropSpec {
  name: string;
  type: PropType;
  places: readonly PropertyPlace[];
  /** Zero is a protocol error (Receive Maximum, Maximum Packet Size, Topic Alias, Subscription Id). */
  nonZero?: boolean;
}

const ACKS: PropertyPlace[] = ['puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback'];
const ALL: PropertyPlace[] = [
  'connect',
  'connack',
  'publish',
  'subscribe',
  'unsubscribe',
  'disconnect',
  'auth',
  'will',
  ...ACKS,
];

export const PROPERTIES: Readonly<Record<number, PropSpec>> = {
  0x01: { name: 'payloadFormatIndicator', type: 'bool', places: ['publish', 'will'] },
  0x02: { name: 'messageExpiryInterval', type: 'u32', places: ['publish', 'will'] },
  0x03: { name: 'contentType', type: 'utf8', places: ['publish', 'will'] },
  0x08: { name: 'responseTopic', type: 'utf8', places: ['publish', 'will'] },
  0x09: { name: 'correlationData', type: 'binary', places: ['publish', 'will'] },
  0x0b: { name: 'subscriptionIdentifier', type: 'varint', places: ['publish', 'subscribe'], nonZero: true },
  0x11: { name: 'sessionExpiryInterval', type: 'u32', places: ['connect', 'connack', 'disconnect'] },
  0x12: { name: 'assignedClientIdentifier', type: 'utf8', places: ['connack'] },
  0x13: { name: 'serverKeepAlive', type: 'u16', places: ['connack'] },
  0x15: { name: 'authenticationMethod', type: 'utf8', places: ['connect', 'connack', 'auth'] },
  0x16: { name: 'authenticationData', type: 'binary', places: ['connect', 'connack', 'auth'] },
  0x17: { name: 'requestProblemInformation', type: 'bool', places: ['connect'] },
  0x18: { name: 'willDelayInterval', type: 'u32', places: ['will'] },
  0x19: { name: 'requestResponseInformation', type: 'bool', places: ['connect'] },
  0x1a: { name: 'responseInformation', type: 'utf8', places: ['connack'] },
  0x1c: { name: 'serverReference', type: 'utf8', places: ['connack', 'disconnect'] },
  0x1f: { name: 'reasonString', type: 'utf8', places: ['connack', 'disconnect', 'auth', ...ACKS] },
  0x21: { name: 'receiveMaximum', type: 'u16', places: ['connect', 'connack'], nonZero: true },
  0x22: { name: 'topicAliasMaximum', type: 'u16', places: ['connect', 'connack'] },
  0x23: { name: 'topicAlias', type: 'u16', places: ['publish'], nonZero: true },
  0x24: { name: 'maximumQoS', type: 'byte', places: ['connack'] },
  0x25: { name: 'retainAvailable', type: 'bool', places: ['connack'] },
  0x26: { name: 'userProperties', type: 'pair', places: ALL },
  0x27: { name: 'maximumPacketSize', type: 'u32', places: ['connect', 'connack'], nonZero: true },
  0x28: { name: 'wildcardSubscriptionAvailable', type: 'bool', places: ['connack'] },
  0x29: { name: 'subscriptionIdentifiersAvailable', type: 'bool', places: ['connack'] },
  0x2a: { name: 'sharedSubscriptionAvailable', type: 'bool', places: ['connack'] },
};

export type PropertyValue = number | boolean | string | Buffer | number[] | Record<string, string | string[]>;
export type Properties = Record<string, PropertyValue>;

function readValue(r: Reader, spec: PropSpec): number | boolean | string | Buffer | [string, string] {
  switch (spec.type) {
    case 'byte':
      return r.u8(spec.name);
    case 'bool': {
      const b = r.u8(spec.name);
      if (b > 1) violate('protocol.bad_property', 'MQTT-2.2.2.2', `${spec.name} must be 0 or 1`);
      return b === 1;
    }
    case 'u16':
      return r.u16(spec.name);
    case 'u32':
      return r.u32(spec.name);
    case 'varint':
      return r.varint(spec.name);
    case 'utf8':
      return r.utf8(spec.name);
    case 'binary':
      return Buffer.from(r.binary(spec.name));
    case 'pair':
      return [r.utf8('user property name'), r.utf8('user property value')];
  }
}

function addUserProperty(props: Properties, pair: [string, string]): void {
  const up = (props.userProperties ??= Object.create(null) as Record<string, string | string[]>) as Record<
    string,
    string | string[]
  >;
  const [k, v] = pair;
  const prev = up[k];
  if (prev === undefined) up[k] = v;
  else if (Array.isArray(prev)) prev.push(v);
  else up[k] = [prev, v];
}

/**
 * Read a property list (length prefix included) for `place`. `repeatSubId` allows several Subscription
 * Identifiers, which only a server-to-client PUBLISH may carry [MQTT-3.3.4-6] [MQTT-3.8.2-1 note].
 */
export function readProperties(r: Reader, place: PropertyPlace, repeatSubId = false): Properties | undefined {
  const len = r.varint('property length');
  if (len === 0) return undefined;
  if (len > r.left) violate('protocol.bad_property', 'MQTT-2.2.2.1', 'property length runs past the packet');
  const end = r.pos + len;
  const outerEnd = r.end;
  r.end = end;
  const props: Properties = {};
  try {
    while (r.pos < end) {
      const id = r.varint('property identifier');
      const spec = PROPERTIES[id];
      if (spec === undefined)
        violate('protocol.bad_property', 'MQTT-2.2.2.2', `unknown property 0x${id.toString(16)}`);
      if (!spec.places.includes(place)) {
        violate('protocol.bad_property', 'MQTT-2.2.2.2', `property ${spec.name} is not allowed in ${place}`);
      }
      const value = readValue(r, spec);
      if (spec.nonZero === true && value === 0) {
        violate('protocol.bad_property', 'MQTT-2.2.2.2', `property ${spec.name} must not be 0`);
      }
      if (spec.type === 'pair') {
        addUserProperty(props, value as [string, string]);
      } else if (spec.name === 'subscriptionIdentifier' && repeatSubId) {
        const prev = props.subscriptionIdentifier;
        if (prev === undefined) props.subscriptionIdentifier = value as number;
        else
          props.subscriptionIdentifier = Array.isArray(prev)
            ? [...prev, value as number]
            : [prev as number, value as number];
      } else {
        // Only User Property (and Subscription Identifier from a server) may repeat [MQTT-2.2.2.2].
        if (props[spec.name] !== undefined) {
          violate('protocol.bad_property', 'MQTT-2.2.2.2', `property ${spec.name} appears twice`);
        }
        if (spec.name === 'maximumQoS' && (value as number) > 1) {
          violate('protocol.bad_property', 'MQTT-3.2.2.3.4', 'maximumQoS must be 0 or 1');
        }
        props[spec.name] = value as PropertyValue;
      }
    }
  } finally {
    r.end = outerEnd;
  }
  return props;
}
