// Holds back the PUBACK of each received QoS 1 message until the destination has the message, while
// letting mqtt.js read the next packet at once — so a source connection can have up to `window` messages
// in flight to the destination instead of one.
//
// mqtt.js sends the PUBACK from the callback of `handleMessage` and reads the next packet only after that
// PUBACK was handed to `_sendPacket`. The gate wraps `_sendPacket` of the source client: a PUBACK whose
// packet id has a gate is not written yet; the read loop continues, and the PUBACK is written when the
// gate opens. Gates open in the order the messages arrived, as PUBACKs must be sent in that order
// [MQTT-4.6.0-2]. This relies on mqtt.js 5's `_sendPacket(packet, cb)`; the bridge tests fail if it changes.
import type { MqttClient, Packet } from 'mqtt';

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

interface Gate {
  open: Promise<boolean>;
}

export class PubackGate {
  private readonly gates = new Map<number, Gate>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly send: SendPacket;

  constructor(private readonly client: MqttClient) {
    const target = client as unknown as { _sendPacket: SendPacket };
    this.send = target._sendPacket.bind(client);
    target._sendPacket = (packet, cb, ...rest) => this.intercept(packet, cb, rest);
  }

  /**
   * Gate the PUBACK of message `messageId` on `settled`: it is sent once `settled` resolves true and
   * every earlier gate has opened; never when it resolves false (the broker will deliver it again).
   */
  hold(messageId: number, settled: Promise<boolean>): void {
    const previous = this.tail;
    const open = previous.then(() => settled);
    // A message that will never be acknowledged (stopping) must not hold back those after it forever.
    this.tail = open.catch(() => false);
    this.gates.set(messageId, { open });
  }

  private intercept(packet: Packet, cb: ((err?: Error) => void) | undefined, rest: unknown[]): void {
    const id = packet.cmd === 'puback' ? packet.messageId : undefined;
    const gate = id === undefined ? undefined : this.gates.get(id);
    if (!gate || id === undefined) {
      this.send(packet, cb, ...rest);
      return;
    }
    this.gates.delete(id);
    cb?.(); // the read loop goes on; the PUBACK itself waits for the gate
    void gate.open.then(
      (ok) => {
        if (ok && this.client.connected) this.send(packet);
      },
      () => undefined,
    );
  }
}
