// Stand-ins for the network in component tests (unit tests open no sockets): a fetch that answers from
// a table of routes and records each request, and a WebSocket the test drives by hand. The end-to-end
// tests in test/integration run the console against the real api instead.
import { vi } from 'vitest';
import type { Incident, Me } from '../../src/api/types.ts';

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (req: Recorded) => { status?: number; body?: unknown; headers?: Record<string, string> };

export class FakeApi {
  readonly requests: Recorded[] = [];
  private readonly routes: { method: string; path: RegExp; handler: Handler }[] = [];

  /** Answer with `handler(request)`, or with a fixed JSON body (200). */
  on(method: string, path: RegExp, handler: Handler): this;
  on(method: string, path: RegExp, body: object): this;
  on(method: string, path: RegExp, handler: Handler | object): this {
    this.routes.push({
      method,
      path,
      handler: typeof handler === 'function' ? (handler as Handler) : () => ({ body: handler }),
    });
    return this;
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const req: Recorded = {
      method,
      url,
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    this.requests.push(req);
    const path = new URL(url, 'http://console.test').pathname.replace(/^\/api\/v1/, '');
    const r = this.routes.find((x) => x.method === method && x.path.test(path));
    if (!r) return json(404, { error: { code: 'not_found', message: `no fake for ${method} ${path}` } });
    const out = r.handler(req);
    return json(out.status ?? 200, out.body ?? {}, out.headers);
  };

  install(): this {
    vi.stubGlobal('fetch', this.fetch);
    return this;
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export class FakeWebSocket {
  static all: FakeWebSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.readyState = 3;
  }

  /** the server side: accept, then say ready */
  accept(): void {
    this.readyState = 1;
    this.onopen?.();
    this.push({ type: 'ready', name: 'test' });
  }

  push(m: unknown): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }

  static install(): void {
    FakeWebSocket.all = [];
    vi.stubGlobal('WebSocket', FakeWebSocket);
  }
}

export const ME = {
  analyst: { name: 'ana', role: 'analyst' },
  responder: { name: 'rita', role: 'responder' },
  auditor: { name: 'aud', role: 'auditor' },
  admin: { name: 'adm', role: 'admin' },
} as const satisfies Record<string, Me>;

export function incident(over: Partial<Incident> = {}): Incident {
  return {
    incidentId: 'inc-1',
    rule: 'auth.brute_force',
    title: 'Credential brute force from sensor-9',
    severity: 8,
    status: 'new',
    assignee: '',
    technique: 'T1110',
    tactic: 'credential-access',
    scope: 'client_id',
    identity: 'sensor-9',
    firstSeen: Date.now() - 60_000,
    lastSeen: Date.now() - 1000,
    eventCount: 12,
    eventIds: ['e1'],
    remediation: 'Rotate the credentials of sensor-9.',
    ...over,
  };
}

export const TOKEN = 'snt_' + 'a'.repeat(43);
