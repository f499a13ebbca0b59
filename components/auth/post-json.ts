"use client";

import { useState, type FormEvent } from "react";

/** The input style of the sign-in and setup forms. */
export const fieldClass = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-blue-600";

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

/**
 * A form that posts to an /api/auth endpoint and, on success, loads `next()` in full (every query starts again with
 * the new session). `body` returns the JSON to send, or `{ problem }` to refuse before sending.
 */
export function useAuthForm(url: string, body: (form: FormData) => unknown, next: () => string) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const payload = body(new FormData(e.currentTarget));
    if (payload && typeof payload === "object" && "problem" in payload) return setError(String(payload.problem));
    setPending(true);
    setError(null);
    const result = await postJson(url, payload);
    setPending(false);
    if (!result.ok) return setError(result.message);
    window.location.assign(next());
  };
  return { error, pending, submit };
}

/** A text field's value ("" when absent): these forms have no file inputs. */
export const formText = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};
