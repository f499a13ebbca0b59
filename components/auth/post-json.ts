/** POSTs JSON to one of the /api/auth endpoints; resolves to the server's message on a refusal. */
export async function postJson(url: string, body: unknown): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.ok) return { ok: true };
    const data = (await res.json().catch(() => null)) as { error?: string } | null;
    return { ok: false, message: data?.error ?? `the server answered HTTP ${res.status}` };
  } catch {
    return { ok: false, message: "the server cannot be reached" };
  }
}

/** Only a path on this server: ?next=https://elsewhere must not become an open redirect. */
export function safeNext(raw: string | null): string {
  return raw && raw.startsWith("/") && !raw.startsWith("//") && !raw.startsWith("/\\") ? raw : "/";
}
