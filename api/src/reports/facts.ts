// ConfigFacts from the effective configuration. The api sees the whole sentinel.yaml; sections of other
// components are read by path and a missing section is reported as "not in this configuration"
// (undefined), never guessed.
import type { ConfigFacts } from './types.ts';

function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** Facts about enforcement settings; undefined when the configuration has no enforcement section. */
function enforcementFacts(
  cfg: unknown,
): Pick<
  ConfigFacts,
  | 'tls'
  | 'mtls'
  | 'certBinding'
  | 'authCallout'
  | 'deviceRateLimits'
  | 'aclDefaultDeny'
  | 'inspection'
  | 'protocolLimits'
> {
  const e = at(cfg, 'enforcement');
  if (e === undefined) {
    return {
      tls: undefined,
      mtls: undefined,
      certBinding: undefined,
      authCallout: undefined,
      deviceRateLimits: undefined,
      aclDefaultDeny: undefined,
      inspection: undefined,
      protocolLimits: undefined,
    };
  }
  const clientCerts = at(e, 'tls.clientCerts');
  const binding = at(e, 'certBinding');
  const authUrl = at(e, 'auth.url') ?? at(e, 'policy.auth.url');
  const wildcards = at(e, 'acl.default.wildcards') ?? at(e, 'policy.acl.default.wildcards');
  const rate = at(e, 'rateLimits') ?? at(e, 'policy.rateLimits');
  const inspection = at(e, 'inspection.enabled');
  return {
    tls: bool(at(e, 'tls.enabled')),
    mtls: clientCerts === undefined ? undefined : clientCerts === 'required',
    certBinding: binding === undefined ? undefined : binding !== 'off',
    authCallout: typeof authUrl === 'string' ? authUrl.length > 0 : undefined,
    deviceRateLimits: rate === undefined ? undefined : typeof rate === 'object' && rate !== null,
    aclDefaultDeny: typeof wildcards === 'boolean' ? !wildcards : undefined,
    inspection:
      typeof inspection === 'boolean' ? inspection : at(e, 'inspection') !== undefined ? true : undefined,
    protocolLimits: at(e, 'protocol.maxPacketSize') !== undefined ? true : undefined,
  };
}

export function factsFromConfig(cfg: unknown, extra: { reportSigning: boolean }): ConfigFacts {
  const servers = at(cfg, 'nats.servers');
  const natsTls =
    Array.isArray(servers) && servers.length > 0 && servers.every((s) => String(s).startsWith('tls://'));
  const replicas = Number(at(cfg, 'nats.replicas') ?? 1);
  return {
    ...enforcementFacts(cfg),
    autoBans: true,
    apiRbac: true,
    apiRateLimits: at(cfg, 'api.rateLimit.rate') !== undefined,
    reportSigning: extra.reportSigning,
    natsAuth: at(cfg, 'nats.user') !== undefined || at(cfg, 'nats.token') !== undefined,
    natsTls,
    retentionDays: Number(at(cfg, 'analytics.retentionDays') ?? 30),
    recordRetentionDays: Number(at(cfg, 'streams.recordsMaxAgeDays') ?? 365),
    replicas,
  };
}
