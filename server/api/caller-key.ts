import type { Caller } from "@/server/auth/request";

/**
 * One caller for the per-caller bounds (preview rate and caps, live subscriptions) and for who owns a previewed
 * plan: a signed-in user, all their sessions together, or one API token. "vic (session)", "token ci (token)".
 */
export function callerKey(caller: Pick<Caller, "name" | "via"> | null): string {
  return caller ? `${caller.name} (${caller.via})` : "nobody";
}
