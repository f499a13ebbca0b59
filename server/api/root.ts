import { desiredRouter } from "./routers/desired";
import { devicesRouter } from "./routers/devices";
import { groupsRouter } from "./routers/groups";
import { hostRouter } from "./routers/host";
import { journalRouter } from "./routers/journal";
import { plansRouter } from "./routers/plans";
import { readinessRouter } from "./routers/readiness";
import { vmsRouter } from "./routers/vms";
import { latencyRouter } from "./routers/latency";
import { markersRouter } from "./routers/markers";
import { targetsRouter } from "./routers/targets";
import { sessionRouter } from "./routers/session";
import { usersRouter } from "./routers/users";
import { tokensRouter } from "./routers/tokens";
import { auditRouter } from "./routers/audit";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  host: hostRouter,
  devices: devicesRouter,
  groups: groupsRouter,
  readiness: readinessRouter,
  journal: journalRouter,
  plans: plansRouter,
  desired: desiredRouter,
  vms: vmsRouter,
  targets: targetsRouter,
  latency: latencyRouter,
  markers: markersRouter,
  session: sessionRouter,
  users: usersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
