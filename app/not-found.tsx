import Link from "next/link";

export default function NotFound() {
  return (
    <div className="mx-auto my-10 max-w-2xl rounded-lg border border-slate-200 bg-white p-5 text-sm">
      <h1 className="text-base font-semibold">Page not found</h1>
      <p className="mt-2 text-slate-600">
        Passdeck has three pages: the{" "}
        <Link className="text-blue-700 underline" href="/">
          overview
        </Link>
        , the{" "}
        <Link className="text-blue-700 underline" href="/iommu">
          IOMMU map
        </Link>{" "}
        and the{" "}
        <Link className="text-blue-700 underline" href="/readiness">
          readiness checklist
        </Link>
        .
      </p>
    </div>
  );
}
