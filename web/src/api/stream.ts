// WS /api/v1/stream. The token goes in the first message (a browser cannot set headers on a WebSocket,
// and a token in the URL would end up in logs). The server answers {type:"ready"}, then sends
// {type:"event"|"incident", data} and, when this client fell behind, {type:"gap", missed:N}.
// The connection is re-opened with backoff when it drops; a close with 4401 (bad token) is final.
import type { Incident, LiveDecisionEvent, LiveIncident, SentinelEvent, StreamFilter } from './types.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface StreamHandlers {
  onEvent?(e: SentinelEvent): void;
  onIncident?(i: Incident): void;
  onGap?(missed: number): void;
  onState?(s: StreamState): void;
}

type WsFactory = (url: string) => WebSocket;

export function streamUrl(origin: string): string {
  const u = new URL('/api/v1/stream', origin);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/** The stream's contract-shaped event as the flat row the event search returns. */
export function flattenEvent(e: LiveDecisionEvent): SentinelEvent {
  return {
    id: e.id,
    ts: e.ts,
    node: e.node,
    kind: e.kind,
    decision: e.decision,
    reason: e.reason,
    severity: e.severity,
    clientId: e.subject?.clientId ?? '',
    username: e.subject?.username ?? '',
    ip: e.subject?.ip ?? '',
    certFingerprint: e.subject?.certFingerprint ?? '',
    transport: e.subject?.transport ?? '',
    packetType: e.mqtt?.packetType ?? '',
    topic: e.mqtt?.topic ?? '',
    ruleId: e.rule?.id ?? '',
    technique: e.rule?.technique ?? '',
    matched: e.rule?.matched ?? '',
    message: e.message ?? '',
  };
}

export function flattenIncident(i: LiveIncident): Incident {
  return {
    incidentId: i.incidentId,
    rule: i.rule,
    title: i.title,
    severity: i.severity,
    status: i.status,
    assignee: i.assignee ?? '',
    technique: i.technique,
    tactic: i.tactic,
    scope: i.identity.scope,
    identity: i.identity.value,
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
    eventCount: i.eventCount,
    eventIds: i.eventIds,
    remediation: i.remediation ?? '',
  };
}

export interface LiveStreamOptions {
  url: string;
  token: string;
  filter?: StreamFilter;
  handlers: StreamHandlers;
  ws?: WsFactory;
  /** First reconnect delay; doubles up to 15 s. */
  retryMs?: number;
}

export class LiveStreamClient {
  private ws: WebSocket | undefined;
  private closed = false;
  private retry: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private filter: StreamFilter | undefined;

  constructor(private readonly o: LiveStreamOptions) {
    this.retry = o.retryMs ?? 1000;
    this.filter = o.filter;
  }

  open(): this {
    this.connect('connecting');
    return this;
  }

  /** Change the server-side filter without reconnecting. */
  subscribe(filter: StreamFilter): void {
    this.filter = filter;
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify({ type: 'subscribe', filter }));
  }

  private connect(state: StreamState): void {
    if (this.closed) return;
    this.o.handlers.onState?.(state);
    const ws = (this.o.ws ?? ((u) => new WebSocket(u)))(this.o.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.o.token }));
    ws.onmessage = (m: MessageEvent) => this.onMessage(ws, String(m.data));
    ws.onclose = (c: CloseEvent) => {
      if (this.ws !== ws || this.closed) return;
      if (c.code === 4401) {
        this.o.handlers.onState?.('unauthorized');
        return;
      }
      this.timer = setTimeout(() => this.connect('reconnecting'), this.retry);
      this.retry = Math.min(this.retry * 2, 15_000);
    };
  }

  private onMessage(ws: WebSocket, text: string): void {
    let m: { type?: string; data?: unknown; missed?: number };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    const h = this.o.handlers;
    switch (m.type) {
      case 'ready':
        this.retry = this.o.retryMs ?? 1000;
        if (this.filter) ws.send(JSON.stringify({ type: 'subscribe', filter: this.filter }));
        h.onState?.('live');
        return;
      case 'event':
        h.onEvent?.(flattenEvent(m.data as LiveDecisionEvent));
        return;
      case 'incident':
        h.onIncident?.(flattenIncident(m.data as LiveIncident));
        return;
      case 'gap':
        h.onGap?.(Number(m.missed ?? 0));
        return;
      default:
        return;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
  }
}
