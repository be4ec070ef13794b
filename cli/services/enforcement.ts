// The enforcement node in `sentinel up`: TCP 1883, TLS 8883 with the development certificate (made on
// first start under <dataDir>/tls), WebSocket 8083, in front of the stack's nats-server MQTT listener.
// When no auth endpoint is configured, the stack's reference auth service is used.
import { runEnforcement } from '@sentinel/enforcement';
import { enforcementOptions } from '../commands/enforce.ts';
import { assertPortFree } from '../stack.ts';
import type { StackService } from '../stack.ts';

export const enforcementService: StackService = {
  name: 'enforcement node (MQTT, MQTTS, MQTT over WebSocket)',
  async start(ctx) {
    const c = ctx.config;
    const e = c.enforcement;
    const tls = { ...e.tls, enabled: true };
    const auth = e.auth.url
      ? e.auth
      : { ...e.auth, url: `http://${c.authService.host}:${c.authService.port}/auth` };
    // nats-server's MQTT listener speaks only 3.1.1 and has no QoS 2: MQTT 5 sessions are translated
    // from the first one (no refused 5.0 CONNECT to learn from) unless the level was set explicitly.
    const onNats = c.stack.coreBroker === 'nats' && e.upstream.protocol === 'auto';
    const upstream = {
      ...e.upstream,
      url: `mqtt://127.0.0.1:${c.stack.coreMqttPort}`,
      ...(onNats ? { protocol: 4 as const, maxQos: 1 as const } : {}),
    };
    const config = { ...e, tls, auth, upstream };
    for (const [what, on, port] of [
      ['MQTT', config.tcp.enabled, config.tcp.port],
      ['MQTTS', config.tls.enabled, config.tls.port],
      ['MQTT over WebSocket', config.ws.enabled, config.ws.port],
    ] as const) {
      if (on) await assertPortFree(port, what, 'the enforcement.* port');
    }
    const running = await runEnforcement({
      ...enforcementOptions(c),
      config,
      log: ctx.log.child({ component: 'enforcement' }),
    });
    const p = running.ports;
    return {
      endpoints: [
        ...(p.tcp
          ? [
              {
                label: 'MQTT',
                url: `mqtt://${config.host}:${p.tcp}`,
                note: `${running.workers} worker(s), upstream ${upstream.url}`,
              },
            ]
          : []),
        ...(p.tls
          ? [
              {
                label: 'MQTTS',
                url: `mqtts://${config.host}:${p.tls}`,
                note: `dev CA in ${ctx.config.dataDir}/tls/ca.pem`,
              },
            ]
          : []),
        ...(p.ws ? [{ label: 'MQTT over WS', url: `ws://${config.host}:${p.ws}${config.ws.path}` }] : []),
        ...(p.metrics ? [{ label: 'Node metrics', url: `http://${config.host}:${p.metrics}/metrics` }] : []),
      ],
      stop: () => running.stop(),
    };
  },
};
