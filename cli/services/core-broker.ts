// The core broker in `sentinel up` when `stack.coreBroker` is `mosquitto`: Mosquitto on the core MQTT
// port, with persistence under <dataDir>/mosquitto so QoS 1 sessions survive a restart. With the default
// (`nats`) nats-server's own MQTT listener is the core broker and this service has nothing to start.
import { join } from 'node:path';
import { startMosquitto } from '@sentinel/infra';
import { assertPortFree } from '../stack.ts';
import type { StackService } from '../stack.ts';

export const coreBrokerService: StackService = {
  name: 'core broker',
  async start(ctx) {
    const s = ctx.config.stack;
    if (s.coreBroker === 'nats') {
      return { endpoints: [], stop: async () => undefined };
    }
    await assertPortFree(s.coreMqttPort, 'core MQTT', 'stack.coreMqttPort');
    const server = await startMosquitto({
      dir: join(ctx.dataDir, 'mosquitto'),
      port: s.coreMqttPort,
      persistence: true,
      binary: s.mosquittoBinary,
      // As root Mosquitto would switch to the `mosquitto` user and lose access to the data folder.
      ...(process.getuid?.() === 0 ? { user: 'root' } : {}),
      // Every device behind the nodes is one session here; queue enough QoS 1 messages per session
      // for a device that is slow for a moment, not without bound.
      extra: ['max_queued_messages 1000', 'max_inflight_messages 100'],
    });
    return {
      endpoints: [{ label: 'Core broker', url: server.url, note: 'Mosquitto' }],
      stop: () => server.stop(),
    };
  },
};
