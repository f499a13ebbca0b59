// The lint rules. The architecture's rules that imports can express are here (no-restricted-imports); the rest
// (who may name /sys and /proc, no shell strings) stay in server/boundaries.test.ts.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const clientMayNotImport = {
  patterns: [
    {
      group: ["@/server/*", "../*server/*"],
      allowTypeImports: true,
      message: "Client code imports only types from server/ (import type …): the server's code must not reach the browser.",
    },
  ],
};

export default tseslint.config(
  { ignores: [".next/**", ".cache/**", "dist/**", "node_modules/**", "server/host/fixtures/**", "next-env.d.ts", "test-results/**", "playwright-report/**", "coverage/**"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ["*.mjs", "scripts/*.mjs"] }, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  // TypeScript knows every name; the plain-node scripts get node's globals
  { files: ["**/*.ts", "**/*.tsx"], rules: { "no-undef": "off" } },
  { files: ["**/*.mjs"], languageOptions: { globals: globals.node } },
  { files: ["**/*.tsx"], ...reactHooks.configs.flat.recommended },
  {
    files: ["app/**", "components/**", "lib/**"],
    ignores: ["app/api/**", "app/**/route.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", clientMayNotImport] },
  },
);
