import { handleLogin } from "@/server/auth/http";
import { getContext } from "@/server/context";

export const dynamic = "force-dynamic";

export function POST(req: Request) {
  return handleLogin(req, getContext());
}
