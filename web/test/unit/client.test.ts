import { describe, expect, it } from 'vitest';
import { ApiClient, ENDPOINTS, fillPath, queryString } from '../../src/api/client.ts';
import { ApiCallError, describeError } from '../../src/api/errors.ts';
import { FakeApi, TOKEN } from './fakes.ts';

describe('api client', () => {
  it('sends the token in the Authorization header and never in the URL', async () => {
    const api = new FakeApi().on('GET', /^\/incidents$/, { items: [], nextCursor: null });
    const c = new ApiClient(TOKEN, 'http://api.test', api.fetch);
    await c.incidents({ status: 'new', technique: 'T1110', limit: 25 });
    const req = api.requests[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.url).not.toContain(TOKEN);
    expect(req.url).toBe('http://api.test/api/v1/incidents?status=new&technique=T1110&limit=25');
  });

  it('leaves undefined and empty query values out', () => {
    expect(queryString({ a: 1, b: undefined, c: '', d: 'x y' })).toBe('?a=1&d=x+y');
    expect(queryString({})).toBe('');
  });

  it('encodes identity path segments so a value with slashes stays one segment', async () => {
    const api = new FakeApi().on('DELETE', /^\/bans\//, { decision: {}, action: {} });
    await new ApiClient(TOKEN, '', api.fetch).liftBan('client_id', 'plant/7 #a', 'done');
    expect(api.requests[0]!.url).toBe('/api/v1/bans/client_id/plant%2F7%20%23a?reason=done');
  });

  it('turns an api error body into an ApiCallError with the status, code and field reasons', async () => {
    const api = new FakeApi().on('POST', /^\/bans$/, () => ({
      status: 400,
      body: {
        error: {
          code: 'validation',
          message: 'invalid request',
          fields: [{ field: 'body.value', reason: 'is required' }],
        },
      },
    }));
    const err = await new ApiClient(TOKEN, '', api.fetch)
      .ban({ scope: 'ip', value: '' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    const e = err as ApiCallError;
    expect(e.status).toBe(400);
    expect(e.context.apiCode).toBe('validation');
    expect(describeError(e)).toBe('invalid request (body.value is required)');
  });

  it('flags 401 as unauthenticated and 403 as forbidden', async () => {
    const api = new FakeApi()
      .on('GET', /^\/me$/, () => ({
        status: 401,
        body: { error: { code: 'unauthenticated', message: 'no' } },
      }))
      .on('POST', /^\/bans$/, () => ({
        status: 403,
        body: { error: { code: 'forbidden', message: 'role analyst' } },
      }));
    const c = new ApiClient(TOKEN, '', api.fetch);
    const a = (await c.me().catch((e: unknown) => e)) as ApiCallError;
    const b = (await c.ban({ scope: 'ip', value: '1.2.3.4' }).catch((e: unknown) => e)) as ApiCallError;
    expect([a.unauthenticated, a.forbidden]).toEqual([true, false]);
    expect([b.unauthenticated, b.forbidden]).toEqual([false, true]);
  });

  it('reports a network failure as a network error, not as an api answer', async () => {
    const c = new ApiClient(TOKEN, '', () => Promise.reject(new TypeError('connection refused')));
    const e = (await c.me().catch((x: unknown) => x)) as ApiCallError;
    expect(e.code).toBe('network');
    expect(e.status).toBeUndefined();
  });

  it('downloads a report with the filename from Content-Disposition', async () => {
    const fetchPdf = async () =>
      new Response('%PDF-1.7 body', {
        status: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': 'attachment; filename="sentinel-iec62443-4-2-x.pdf"',
        },
      });
    const d = await new ApiClient(TOKEN, '', fetchPdf).downloadReport(
      { standard: 'iec62443-4-2', from: 0, to: 1 },
      'pdf',
    );
    expect(d.filename).toBe('sentinel-iec62443-4-2-x.pdf');
    expect(d.contentType).toBe('application/pdf');
    expect(await d.blob.text()).toBe('%PDF-1.7 body');
  });
});

describe('endpoint table', () => {
  it('fills path parameters, encoded, and refuses a missing one', () => {
    expect(fillPath('/identities/{scope}/{value}', { scope: 'ip', value: '10.0.0.1/32' })).toBe(
      '/identities/ip/10.0.0.1%2F32',
    );
    expect(() => fillPath('/incidents/{id}', {})).toThrow('missing path parameter id');
  });

  it('names each operation once, with a method and a path below /api/v1', () => {
    for (const [op, [method, path]] of Object.entries(ENDPOINTS)) {
      expect(['GET', 'POST', 'PATCH', 'DELETE'], op).toContain(method);
      expect(path, op).toMatch(/^\/[a-z]/);
    }
    const keys = Object.values(ENDPOINTS).map(([m, p]) => `${m} ${p}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
