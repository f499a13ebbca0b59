"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { useSession } from "./session";
import { fieldClass, formText, useAuthForm } from "./post-json";
import { safeNext } from "@/lib/safe-next";

export function SignInForm() {
  return (
    <Suspense>
      <SignIn />
    </Suspense>
  );
}

function SignIn() {
  const params = useSearchParams();
  const session = useSession();
  const { error, pending, submit } = useAuthForm(
    "/api/auth/login",
    (form) => ({ name: formText(form, "name"), password: formText(form, "password") }),
    // Resolved against this page's origin when the sign-in succeeds: never another site (no open redirect).
    () => safeNext(params.get("next"), window.location.origin),
  );

  return (
    <div className="mx-auto mt-12 max-w-sm">
      <Card>
        <CardHeader>
          <CardTitle>Sign in to Passdeck</CardTitle>
        </CardHeader>
        <CardBody>
          {session.data?.needsSetup ? (
            <p role="note" className="mb-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950">
              Nobody has an account yet.{" "}
              {session.data.setupFromBrowser ? (
                <Link href="/setup" className="font-medium underline">
                  Create the admin account
                </Link>
              ) : (
                <>Create the admin on the host: passdeck user add &lt;name&gt; --role admin</>
              )}
            </p>
          ) : null}
          <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
            <label className="block text-sm font-medium text-slate-800">
              User name
              <input name="name" autoComplete="username" required maxLength={64} className={fieldClass} autoFocus />
            </label>
            <label className="mt-3 block text-sm font-medium text-slate-800">
              Password
              <input name="password" type="password" autoComplete="current-password" required maxLength={1024} className={fieldClass} />
            </label>
            {error ? (
              <p role="alert" data-testid="sign-in-error" className="mt-3 text-sm text-red-800">
                {error}
              </p>
            ) : null}
            <Button type="submit" variant="default" className="mt-4 w-full" disabled={pending}>
              {pending ? "Signing in…" : "Sign in"}
            </Button>
          </form>
        </CardBody>
      </Card>
    </div>
  );
}
