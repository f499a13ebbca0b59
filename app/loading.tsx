export default function LoadingPage() {
  return (
    <div role="status" aria-live="polite" className="py-10 text-sm text-slate-500">
      Loading…
    </div>
  );
}
