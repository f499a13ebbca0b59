/** Joins class names, skipping falsy ones (a dependency-free stand-in for clsx + tailwind-merge). */
export function cn(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(" ");
}
