// Identities never banned. IP entries may be CIDR ranges (v4 or v6), matched with node's BlockList.
import { BlockList, isIP } from 'node:net';
import type { IdentityScope } from '@sentinel/ingest';

export class Allowlist {
  private readonly ips = new BlockList();
  private readonly exact = new Set<string>();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const i = entry.indexOf(':');
      const scope = entry.slice(0, i);
      const value = entry.slice(i + 1);
      if (scope === 'ip' || scope === 'ip_range') this.addIp(value);
      else this.exact.add(`${scope}:${value}`);
    }
  }

  private addIp(value: string): void {
    const [addr = '', bits] = value.split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) this.ips.addAddress(addr, family);
    else this.ips.addSubnet(addr, Number(bits), family);
  }

  has(scope: IdentityScope, value: string): boolean {
    if (scope === 'ip' || scope === 'ip_range') {
      const [addr = ''] = value.split('/');
      const v = isIP(addr);
      return v !== 0 && this.ips.check(addr, v === 6 ? 'ipv6' : 'ipv4');
    }
    return this.exact.has(`${scope}:${value}`);
  }
}
