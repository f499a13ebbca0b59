"use client";

import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { useSession } from "./session";
import { fieldClass, formText, useAuthForm } from "./post-json";

/** First run: the admin account, claimed with the one-time code the server printed on the host. */
export function SetupForm() {
  const session = useSession();
  const { error, pending, submit } = useAuthForm(
    "/api/auth/setup",
    (form) =>
      formText(form, "password") !== formText(form, "repeat")
        ? { problem: "the two passwords differ: type the same password twice" }
        : { code: formText(form, "code"), name: formText(form, "name"), password: formText(form, "password") },
    () => "/",
  );

  if (session.data && !session.data.needsSetup)
    return (
      <p role="note" className="mx-auto mt-12 max-w-md rounded-md border border-slate-200 bg-white p-4 text-sm">
        Passdeck is set up already.{" "}
        <a href="/login" className="font-medium underline">
          Sign in
        </a>
        , or ask an admin for an account.
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
            The admin may apply plans to this host. The setup code was printed where Passdeck was started;{" "}
            <code className="font-mono">passdeck setup-code</code> on the host prints it again. It proves you are at the host, not just on its network.
          </p>
          <form onSubmit={(e) => void submit(e)} aria-label="First-run setup">
            <label className="block text-sm font-medium text-slate-800">
              Setup code
              <input
                name="code"
                required
                maxLength={64}
                autoComplete="off"
                spellCheck={false}
                className={`${fieldClass} font-mono uppercase`}
                placeholder="XXXX-XXXX-XXXX"
              />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              User name
              <input
                name="name"
                required
                maxLength={32}
                autoComplete="username"
                pattern="[a-z_][a-z0-9_.\-]{0,31}"
                title="lowercase letters, digits, _ . - starting with a letter or _"
                className={fieldClass}
              />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              Password <span className="font-normal text-slate-500">(at least 12 characters)</span>
              <input name="password" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" className={fieldClass} />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              Password again
              <input name="repeat" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" className={fieldClass} />
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
