import { defineConfig } from "@playwright/test";
import { authStateFile, demoHostDir, journalDir } from "./e2e/journal-dir";
import { debianChromium } from "./e2e/chromium";

/**
 * One production server per demo scenario, each on its own port; each spec file runs against its scenario's server.
 * `npm run build` must have run first (scripts/test.sh does it): the servers start from .next and dist/.
 */
export const SCENARIOS = [
  { name: "desktop", port: 7901 },
  { name: "server", port: 7902 },
  { name: "iommu-off", port: 7903 },
  { name: "bench-1000", port: 7904 },
] as const;

/**
 * The wizard applies plans, so it gets its own "server" demo host: the read-only specs keep the host as booted. It
 * also talks to the machine's real libvirtd (e2e/wizard-vms.spec.ts defines throw-away VMs there).
 */
export const WIZARD = { scenario: "server", port: 7906, libvirtUri: "qemu:///system" } as const;

// E2E_SCENARIOS=desktop,server runs a subset (and starts only those servers); default: all of them.
const only = process.env.E2E_SCENARIOS?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const selected = SCENARIOS.filter((s) => !only || only.includes(s.name));

const LIVE_PORT = 7905;
/**
 * The latency page on a "server" demo host of its own, whose probe agent really pings 127.0.0.1. Its own host (not
 * the wizard's) so it runs beside the wizard instead of after it: its plan moves a VF no wizard spec touches anyway.
 */
export const LATENCY = { scenario: "server", port: 7909 } as const;
const live = !only || only.includes("live");
const wizard = !only || only.includes("wizard");
/** Sign-in, first-run setup, roles, CSRF and the audit trail, on a demo server whose data directory starts empty. */
export const AUTH = { scenario: "server", port: 7907 } as const;
const auth = !only || only.includes("auth");
/** Attacks on the server's doors (e2e/attack-*.spec.ts): each spec starts its own server (e2e/attack-server.ts). */
const attacks = !only || only.includes("attacks");

// Every other project: the attacks measure the server's answer times and memory, so nothing else runs beside them.
const attackAfter = [...selected.map((s) => s.name), ...(live ? ["live"] : []), ...(wizard ? ["wizard", "latency"] : []), ...(auth ? ["auth"] : [])];

const baseURL = (port: number) => `http://127.0.0.1:${port}`;

/** Every server whose specs run signed in as admin: e2e/sign-in.setup.ts makes the admin and saves the cookie. */
export const SIGNED_IN = [
  ...selected.map((s) => ({ project: s.name, port: s.port })),
  ...(live ? [{ project: "live", port: LIVE_PORT }] : []),
  ...(wizard ? [{ project: "wizard", port: WIZARD.port }] : []),
  ...(wizard ? [{ project: "latency", port: LATENCY.port }] : []),
];
const signedIn = (project: string) => ({ storageState: authStateFile(project) });

export default defineConfig({
  testDir: "e2e",
  // e2e/kernel has its own config (the QEMU kernel rig): npx playwright test --config e2e/kernel/playwright.config.ts
  testIgnore: ["**/kernel/**"],
  forbidOnly: true,
  fullyParallel: false,
  // Two spec files at a time: the read-only demo servers serve both. A project whose specs change their server's
  // state (the wizard, auth) keeps one worker; the attacks run alone at the end, since they time the server.
  workers: Number(process.env.PASSDECK_E2E_WORKERS ?? 2),
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    ...debianChromium,
    trace: "off",
    screenshot: "only-on-failure",
    viewport: { width: 1440, height: 900 },
  },
  projects: [
    { name: "sign-in", testMatch: "sign-in.setup.ts" },
    // The longest specs first, so the read-only projects fill the other worker around them (the wizard's one
    // worker took 129 s and ran last before).
    ...(wizard
      ? [
          {
            name: "wizard",
            testMatch: "wizard*.spec.ts",
            dependencies: ["sign-in"],
            workers: 1,
            use: { baseURL: baseURL(WIZARD.port), ...signedIn("wizard") },
          },
          {
            name: "latency",
            testMatch: "latency.spec.ts",
            dependencies: ["sign-in"],
            workers: 1,
            use: { baseURL: baseURL(LATENCY.port), ...signedIn("latency") },
          },
        ]
      : []),
    // The auth specs make their own accounts; "after sign-in" only puts them in the phase where the other worker has work.
    ...(auth ? [{ name: "auth", testMatch: "auth*.spec.ts", dependencies: ["sign-in"], workers: 1, use: { baseURL: baseURL(AUTH.port) } }] : []),
    ...selected.map((s) => ({
      name: s.name,
      testMatch: `${s.name}*.spec.ts`,
      dependencies: ["sign-in"],
      // 1,000 functions on one page, beside another spec's browser and server on two cores: more time, same checks.
      ...(s.name === "bench-1000" ? { timeout: 90_000 } : {}),
      use: { baseURL: baseURL(s.port), ...signedIn(s.name) },
    })),
    ...(live ? [{ name: "live", testMatch: "live.spec.ts", dependencies: ["sign-in"], use: { baseURL: baseURL(LIVE_PORT), ...signedIn("live") } }] : []),
    ...(attacks ? [{ name: "attacks", testMatch: "attack-*.spec.ts", timeout: 180_000, workers: 1, dependencies: attackAfter }] : []),
    // The README screenshot rewrites public/screenshot-iommu-map.png, so it only runs when asked:
    // PASSDECK_SCREENSHOT=1 npx playwright test --project=screenshot
    ...(process.env.PASSDECK_SCREENSHOT
      ? [{ name: "screenshot", testMatch: "readme-screenshot.ts", dependencies: ["sign-in"], use: { baseURL: baseURL(7901), ...signedIn("desktop") } }]
      : []),
  ],
  webServer: [
    ...(live
      ? [
          {
            // The real host this runs on, no demo tree: what `npm start` serves.
            command: "node scripts/start.mjs",
            url: `${baseURL(LIVE_PORT)}/login`,
            env: {
              PASSDECK_PORT: String(LIVE_PORT),
              PASSDECK_HOST: "127.0.0.1",
              NEXT_TELEMETRY_DISABLED: "1",
              PASSDECK_DATA_DIR: journalDir("live"),
              // started as root this server also starts the privileged helper: its socket is this run's own
              PASSDECK_HELPER_SOCKET: `${journalDir("live")}/helper.sock`,
            },
            reuseExistingServer: false,
            timeout: 90_000,
            stdout: "ignore" as const,
            stderr: "pipe" as const,
          },
        ]
      : []),
    ...[
      ...selected.map((s) => ({ project: s.name, scenario: s.name, port: s.port, libvirtUri: null })),
      ...(wizard ? [{ project: "wizard", ...WIZARD }] : []),
      ...(wizard ? [{ project: "latency", ...LATENCY, libvirtUri: null }] : []),
      // the dead-man switch's window, short for e2e/auth-deadman.spec.ts (60 s by default)
      ...(auth ? [{ project: "auth", ...AUTH, libvirtUri: null, confirmWindowS: 8 }] : []),
    ].map((s) => ({
      command: `node scripts/start.mjs --demo ${s.scenario}`,
      // A page that needs no sign-in: every server starts without accounts.
      url: `${baseURL(s.port)}/login`,
      env: {
        PASSDECK_PORT: String(s.port),
        PASSDECK_HOST: "127.0.0.1",
        NEXT_TELEMETRY_DISABLED: "1",
        // Each demo server owns its host tree (written fresh at start) and keeps its journal beside it.
        PASSDECK_DEMO_DIR: demoHostDir(s.project),
        PASSDECK_DATA_DIR: journalDir(s.project),
        // A demo host sees no VMs unless told which libvirt to ask (the machine's VMs are not the demo's).
        ...(s.libvirtUri ? { PASSDECK_LIBVIRT_URI: s.libvirtUri } : {}),
        ...("confirmWindowS" in s ? { PASSDECK_CONFIRM_WINDOW_S: String(s.confirmWindowS) } : {}),
      },
      reuseExistingServer: false,
      timeout: 90_000,
      stdout: "ignore" as const,
      stderr: "pipe" as const,
    })),
  ],
});
