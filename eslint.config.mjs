// The lint rules. The architecture's rules that imports can express are here (no-restricted-imports); the rest
// (who may name /sys and /proc, no shell strings) stay in server/boundaries.test.ts.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

const serverCode = {
  group: ["@/server/*", "../*server/*"],
  allowTypeImports: true,
  message: "Client code imports only types from server/ (import type …): the server's code must not reach the browser.",
};
const clientMayNotImport = { patterns: [serverCode] };

// server/host/ reads the host; the simulator (server/simulator/) only writes temporary trees and must stay out of it
const hostMayNotImport = {
  patterns: [
    {
      group: ["@/server/simulator/*", "../simulator/*", "../../simulator/*"],
      message: "server/host/ reads the real host and must not depend on the simulator (server/simulator/ imports host/formats, not the reverse).",
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      ".next/**",
      ".cache/**",
      "dist/**",
      "node_modules/**",
      "server/host/fixtures/**",
      "next-env.d.ts",
      "test-results/**",
      "playwright-report/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    // tsconfig.json includes the .mjs files (checkJs), so every file has its project.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  // TypeScript checks every name, in the .ts files and (checkJs) in the plain-node .mjs scripts
  { files: ["**/*.ts", "**/*.tsx", "**/*.mjs"], rules: { "no-undef": "off" } },
  { files: ["**/*.tsx"], ...reactHooks.configs.flat.recommended },
  // Passdeck checks input for control characters on purpose (names, notes, MACs): such a regex is the point
  { rules: { "no-control-regex": "off" } },
  // Tests and benchmarks read JSON (CLI output, HTTP answers, reports) and assert it by value, not by type
  {
    files: ["**/*.test.ts", "**/*.spec.ts", "e2e/**", "scripts/bench-*.mjs", "scripts/test-summary.mjs"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
  // A test's stand-ins (a log sink, an onStep callback, a socket's error handler) do nothing on purpose
  { files: ["**/*.test.ts", "**/*.spec.ts"], rules: { "@typescript-eslint/no-empty-function": "off" } },
  {
    files: ["app/**", "components/**", "lib/**"],
    ignores: ["app/api/**", "app/**/route.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", clientMayNotImport] },
  },
  { files: ["server/host/**"], rules: { "@typescript-eslint/no-restricted-imports": ["error", hostMayNotImport] } },
  {
    // Pages and layouts are server components: they prefetch their first screen through the server-only
    // server/api/prefetch.tsx (server/boundaries.test.ts checks both that and that it stays server-only).
    files: ["app/**/page.tsx", "app/layout.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              ...serverCode,
              group: [...serverCode.group, "!@/server/api", "@/server/api/*", "!@/server/api/prefetch"],
            },
          ],
        },
      ],
    },
  },
);
