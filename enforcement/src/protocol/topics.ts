// Topic names and filters (spec 4.7).
import type { MqttVersion } from './packets.ts';
import { violate } from './violation.ts';

/** A topic name: no wildcard [MQTT-3.3.2-2]; empty only when a topic alias stands in [MQTT-4.7.3-1]. */
export function checkTopicName(topic: string, aliased: boolean): void {
  if (topic.length === 0) {
    if (!aliased) violate('protocol.invalid_topic', 'MQTT-4.7.3-1', 'empty topic name');
    return;
  }
  if (topic.includes('+') || topic.includes('#')) {
    violate('protocol.invalid_topic', 'MQTT-3.3.2-2', 'wildcard in a PUBLISH topic name');
  }
}

/** A topic filter: non-empty [MQTT-4.7.3-1]; `#` last and alone [MQTT-4.7.1-2]; `+` a whole level [MQTT-4.7.1-3]. */
export function checkFilter(filter: string, version: MqttVersion): void {
  let f = filter;
  if (version === 5 && f.startsWith('$share/')) {
    const slash = f.indexOf('/', 7);
    const share = slash === -1 ? '' : f.slice(7, slash);
    // A share name is non-empty without wildcards, followed by a filter [MQTT-4.8.2-1] [MQTT-4.8.2-2]
    if (share.length === 0 || share.includes('+') || share.includes('#')) {
      violate('protocol.invalid_topic', 'MQTT-4.8.2-1', 'malformed shared subscription');
    }
    f = f.slice(slash + 1);
  }
  if (f.length === 0) violate('protocol.invalid_topic', 'MQTT-4.7.3-1', 'empty topic filter');
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as string;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) {
      violate('protocol.invalid_topic', 'MQTT-4.7.1-2', 'multi-level wildcard not alone at the end');
    }
    if (l.includes('+') && l !== '+')
      violate('protocol.invalid_topic', 'MQTT-4.7.1-3', 'single-level wildcard not a whole level');
  }
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}
