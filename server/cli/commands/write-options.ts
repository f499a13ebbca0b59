/** The options every write command takes, and what they mean. */
export const WRITE_OPTIONS = {
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  confirm: { type: "boolean" },
  force: { type: "boolean" },
} as const;

export const WRITE_OPTIONS_USAGE = `  --dry-run   print the plan (the exact writes), touch nothing
  --json      the plan, or the result and its journal entry
  --confirm   accept warnings, such as a shared IOMMU group
  --force     override a refusal for a host-critical device
Exit codes: 0 applied, 2 refused or invalid (nothing written), 1 failed (rolled back).`;
