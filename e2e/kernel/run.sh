#!/usr/bin/env bash
# The kernel rig, end to end: setup if needed, build if needed, boot the guest once, run the rig's Vitest and
# Playwright tests against it, stop it. Exits non-zero on any failure; the guest is always stopped.
#   bash e2e/kernel/run.sh                 everything
#   bash e2e/kernel/run.sh --vitest-only   skip Playwright (or --playwright-only)
# Env: PASSDECK_REPORT_DIR (also write JSON reports there, for scripts/test.sh's summary), PASSDECK_RIG_PORT / PASSDECK_RIG_AGENT_PORT (host ports, 127.0.0.1), PASSDECK_RIG_CACHE, PASSDECK_RIG_KEEP=1
# (leave the guest running afterwards for `node e2e/kernel/rig.mjs shell|exec|stop`).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE/../.."
export NEXT_TELEMETRY_DISABLED=1
run_vitest=1 run_playwright=1
case "${1:-}" in
  --vitest-only) run_playwright=0 ;;
  --playwright-only) run_vitest=0 ;;
  "") ;;
  *) echo "usage: bash e2e/kernel/run.sh [--vitest-only|--playwright-only]" >&2; exit 2 ;;
esac

t_start=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "== kernel rig: setup"
t=$(date +%s.%N)
$SUDO bash "$HERE/setup.sh"
echo "   setup: $(secs "$t") s"

if [ ! -f .next/BUILD_ID ] || [ ! -f dist/passdeck.mjs ]; then
  echo "== kernel rig: npm run build (no .next/BUILD_ID or dist/passdeck.mjs)"
  npm run -s build
fi

if node "$HERE/rig.mjs" status >/dev/null 2>&1; then
  echo "kernel rig: a rig is already running; stop it first: node e2e/kernel/rig.mjs stop" >&2
  exit 1
fi

cleanup() {
  if [ "${PASSDECK_RIG_KEEP:-}" = 1 ]; then
    echo "== kernel rig: left running (PASSDECK_RIG_KEEP=1); stop it with: node e2e/kernel/rig.mjs stop"
  else
    node "$HERE/rig.mjs" stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCG guest occasionally stalls in early boot (RCU stall warnings, no timer ticks, seen once in ~10 boots on a
# loaded 2-core host). That is the emulator, not Passdeck: stop it and boot once more before calling it a failure.
boot() {
  echo "== kernel rig: boot"
  local t; t=$(date +%s.%N)
  if ! node "$HERE/rig.mjs" start; then
    echo "== kernel rig: the guest did not come up; stopping it and booting once more"
    node "$HERE/rig.mjs" stop || true
    node "$HERE/rig.mjs" start
  fi
  echo "   boot to HTTP: $(secs "$t") s"
}

stall_reports() { node "$HERE/rig.mjs" stalls --count; }

# The same stall can come mid-run (it did once in CI): the watchdog (watchdog.mjs) records it, nudges the guest (QMP
# stop/cont, NMI), and ends QEMU when the guest stays stalled, so the phase's remaining tests fail at once. A phase
# that failed while the guest reported a stall ran on a broken emulator, not against Passdeck: it runs once more on a
# fresh guest. A phase that fails without a stall report fails the run.
run_phase() {
  local name=$1; shift
  local before; before=$(stall_reports)
  "$@" && return 0
  [ "$(stall_reports)" -gt "$before" ] || return 1
  echo "== kernel rig: the guest reported a CPU stall during $name (the emulator):"
  node "$HERE/rig.mjs" stalls
  echo "== kernel rig: booting a fresh guest and running $name once more"
  node "$HERE/rig.mjs" stop || true
  boot
  "$@"
}

node "$HERE/rig.mjs" stalls --clear
boot

rc=0
if [ $run_vitest = 1 ]; then
  echo "== kernel rig: vitest"
  t=$(date +%s.%N)
  run_phase vitest npx vitest run --config e2e/kernel/vitest.config.ts ${PASSDECK_REPORT_DIR:+--reporter=default --reporter=json --outputFile="$PASSDECK_REPORT_DIR/rig-unit.json"} || rc=1
  echo "   vitest: $(secs "$t") s"
fi
if [ $run_playwright = 1 ]; then
  echo "== kernel rig: playwright"
  t=$(date +%s.%N)
  if [ -n "${PASSDECK_REPORT_DIR:-}" ]; then
    PLAYWRIGHT_JSON_OUTPUT_NAME="$PASSDECK_REPORT_DIR/rig-e2e.json" run_phase playwright npx playwright test --config e2e/kernel/playwright.config.ts --reporter=list,json || rc=1
  else
    run_phase playwright npx playwright test --config e2e/kernel/playwright.config.ts || rc=1
  fi
  echo "   playwright: $(secs "$t") s"
fi
if [ "$(stall_reports)" -gt 0 ]; then
  echo "== kernel rig: guest CPU stalls this run (reports, nudges, diagnostics in $(node "$HERE/rig.mjs" stalls --dir)):"
  node "$HERE/rig.mjs" stalls
  node "$HERE/rig.mjs" stalls --details
fi
if [ $rc != 0 ]; then
  echo "== kernel rig: FAILED; last lines of the guest console:"
  node "$HERE/rig.mjs" log 40 || true
fi
echo "== kernel rig: total $(secs "$t_start") s"
exit $rc
