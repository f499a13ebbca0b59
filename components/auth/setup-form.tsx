"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { useSession } from "./session";
import { postJson } from "./post-json";

const field = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-blue-600";

/** First run: the admin account, claimed with the one-time code the server printed on the host. */
export function SetupForm() {
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("repeat") ?? "")) return setError("the two passwords differ: type the same password twice");
    setPending(true);
    setError(null);
    const result = await postJson("/api/auth/setup", { code: String(form.get("code") ?? ""), name: String(form.get("name") ?? ""), password });
    setPending(false);
    if (!result.ok) return setError(result.message);
    window.location.assign("/");
  };

  if (session.data && !session.data.needsSetup)
    return (
      <p role="note" className="mx-auto mt-12 max-w-md rounded-md border border-slate-200 bg-white p-4 text-sm">
        Passdeck is set up already. <a href="/login" className="font-medium underline">Sign in</a>, or ask an admin for an account.
      </p>
    );

  return (
    <div className="mx-auto mt-12 max-w-md">
      <Card>
        <CardHeader>
          <CardTitle>Create the admin account</CardTitle>
        </CardHeader>
        <CardBody>
          <p className="mb-3 text-sm text-slate-700">
            The admin may apply plans to this host. The setup code was printed where Passdeck was started; <code className="font-mono">passdeck setup-code</code> on
            the host prints it again. It proves you are at the host, not just on its network.
          </p>
          <form onSubmit={(e) => void submit(e)} aria-label="First-run setup">
            <label className="block text-sm font-medium text-slate-800">
              Setup code
              <input name="code" required maxLength={64} autoComplete="off" spellCheck={false} className={`${field} font-mono uppercase`} placeholder="XXXX-XXXX-XXXX" />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              User name
              <input name="name" required maxLength={32} autoComplete="username" pattern="[a-z_][a-z0-9_.\-]{0,31}" title="lowercase letters, digits, _ . - starting with a letter or _" className={field} />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              Password <span className="font-normal text-slate-500">(at least 12 characters)</span>
              <input name="password" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" className={field} />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              Password again
              <input name="repeat" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" className={field} />
            </label>
            {error ? (
              <p role="alert" data-testid="setup-error" className="mt-3 text-sm text-red-800">
                {error}
              </p>
            ) : null}
            <Button type="submit" variant="default" className="mt-4 w-full" disabled={pending}>
              {pending ? "Creating…" : "Create admin and sign in"}
            </Button>
          </form>
        </CardBody>
      </Card>
    </div>
  );
}
