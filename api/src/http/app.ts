// The express app: public probes, metrics and the OpenAPI document, then /api/v1 built from the route
// table (rate limit -> authenticate -> role -> validate -> handler), then the one error middleware.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { register } from 'prom-client';
import type { Role } from '../auth/roles.ts';
import { hashToken } from '../auth/tokens.ts';
import type { TokenRecord } from '../auth/tokens.ts';
import type { ApiDeps } from '../deps.ts';
import { ForbiddenError, NotFoundError, RateLimitedError, UnauthenticatedError } from '../errors.ts';
import { exposition } from '../metrics.ts';
import { ROUTES } from '../routes/table.ts';
import { errorMiddleware, toApiError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { RateLimiter } from './ratelimit.ts';
import type { FileAnswer, RouteDef } from './route.ts';
import { parseOrThrow } from './validate.ts';

/** The bearer token of a request: the Authorization header only (never the URL, which gets logged). */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

function isFile(v: unknown): v is FileAnswer {
  return typeof v === 'object' && v !== null && (v as FileAnswer).kind === 'file';
}

/** The built analyst console (`npm run build -w web` writes web/dist); served at `/` when present. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** The console talks to this origin only (fetch and the live stream); charts set inline styles. */
const CONSOLE_CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
  "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export interface AppHooks {
  /** Readiness: NATS connected and the store answering. */
  ready(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
}

export function createApp(deps: ApiDeps, hooks: AppHooks): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  const limiter = new RateLimiter(deps.config.rateLimit);
  const openapi = openApiDocument(ROUTES);

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const r = await hooks.ready();
    res.status(r.ready ? 200 : 503).json(r);
  });
  app.get('/metrics', async (_req, res) => {
    res
      .type('text/plain; version=0.0.4')
      .send(await exposition([register, deps.metrics.registry, ...deps.registries]));
  });
  app.get('/api/v1/openapi.json', (_req, res) => void res.json(openapi));

  const v1 = express.Router();
  v1.use(express.json({ limit: deps.config.bodyLimitBytes }));
  for (const r of ROUTES) v1[r.method](r.path, guard(deps, limiter, r), handle(deps, r));
  v1.use(() => {
    throw new NotFoundError('route');
  });
  app.use('/api/v1', v1);
  // the console's static files, after every api route so that none can shadow one
  if (existsSync(join(WEB_DIST, 'index.html'))) {
    app.use(
      express.static(WEB_DIST, {
        index: 'index.html',
        setHeaders(res) {
          res.setHeader('Content-Security-Policy', CONSOLE_CSP);
          res.setHeader('X-Content-Type-Options', 'nosniff');
        },
      }),
    );
  }
  app.use(errorMiddleware(deps.log));
  return app;
}

function guard(deps: ApiDeps, limiter: RateLimiter, r: RouteDef) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearer(req.headers.authorization);
    const record = token ? deps.tokens.verify(token) : undefined;
    // a valid token has its own bucket; anything else shares its address's, so made-up tokens do not help
    const key = record && token ? `t:${hashToken(token).slice(0, 32)}` : `ip:${req.ip ?? ''}`;
    const wait = limiter.take(key, deps.now());
    if (wait > 0) {
      deps.metrics.rateLimited.inc();
      throw new RateLimitedError(wait);
    }
    if (!record) {
      deps.metrics.authFailures.inc({ why: token ? 'unknown_token' : 'no_token' });
      throw new UnauthenticatedError();
    }
    if (!r.roles.includes(record.role as Role)) {
      deps.metrics.authFailures.inc({ why: 'role' });
      throw new ForbiddenError(record.role, r.roles);
    }
    res.locals.token = record;
    next();
  };
}

function handle(deps: ApiDeps, r: RouteDef) {
  return async (req: Request, res: Response): Promise<void> => {
    const started = performance.now();
    let status: number = r.status ?? 200;
    try {
      const ctx = {
        query: r.query ? parseOrThrow(r.query, req.query, 'query') : {},
        params: r.params ? parseOrThrow(r.params, req.params, 'params') : {},
        body: r.body ? parseOrThrow(r.body, req.body ?? {}, 'body') : undefined,
        caller: { token: res.locals.token as TokenRecord, ip: req.ip ?? '' },
        deps,
        res,
      };
      const out = await r.handler(ctx);
      if (isFile(out)) {
        res.status(r.status ?? 200).type(out.contentType);
        res.setHeader('Content-Disposition', `attachment; filename="${out.filename}"`);
        res.send(out.body);
      } else {
        res.status(r.status ?? 200).json(out);
      }
    } catch (err) {
      status = toApiError(err).status;
      throw err;
    } finally {
      deps.metrics.requests.inc({ route: r.path, method: r.method, status: String(status) });
      deps.metrics.seconds.observe({ route: r.path, method: r.method }, (performance.now() - started) / 1000);
    }
  };
}
