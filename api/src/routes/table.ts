// THE route table: every route of /api/v1 with the roles that may call it. The router and the OpenAPI
// document are both built from this list.
import type { RouteDef } from '../http/route.ts';
import { adminRoutes } from './admin.ts';
import { banRoutes } from './bans.ts';
import { eventRoutes } from './events.ts';
import { incidentRoutes } from './incidents.ts';
import { opsRoutes } from './ops.ts';

export const ROUTES: readonly RouteDef[] = [
  ...incidentRoutes,
  ...eventRoutes,
  ...banRoutes,
  ...opsRoutes,
  ...adminRoutes,
];
