"use client";

import { Button } from "@/components/ui/button";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="mx-auto my-10 max-w-2xl rounded-lg border border-red-300 bg-red-50 p-5 text-sm text-red-900">
      <h1 className="text-base font-semibold">This page failed to render</h1>
      <p className="mt-2 break-words">{error.message || "Unknown error"}</p>
      {error.digest ? <p className="mt-1 font-mono text-xs">digest {error.digest}</p> : null}
      <p className="mt-2">Nothing was changed on the host: Passdeck only reads sysfs here.</p>
      <Button className="mt-3" onClick={reset}>
        Try again
      </Button>
    </div>
  );
}
