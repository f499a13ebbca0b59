#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine and runs the whole suite.
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CI="${CI:-}"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# System packages: Debian's chromium for Playwright (its own browser download cannot work offline),
# pci.ids via pciutils, iproute2, iputils-ping and iperf3 (the latency probes) and tar that the product shells out to, and libvirt (the daemon the VM tests
# talk to; without recommends, so bookworm's QEMU 7.2 does not come along next to the rig's QEMU 10).
packages=(chromium pciutils iproute2 iputils-ping iperf3 kmod tar systemd util-linux openssl libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The kernel rig's QEMU 10 (bookworm-backports), kernel and initramfs: before libvirtd starts, which defines the
# test VMs with that QEMU.
echo "== kernel rig setup (QEMU 10, guest kernel)"
$SUDO bash e2e/kernel/setup.sh

echo "== npm ci"
npm ci --no-audit --no-fund --loglevel=error

results=$(mktemp -d)
# The developer's fast loop first: lint, formatting, types and the unit tests (with libvirtd up for its tests).
echo "== npm run check (lint, formatting, types, unit tests)"
unit_rc=0
npm run -s check -- --unit-json "$results/unit.json" || unit_rc=$?

echo "== build"
npm run -s build

echo "== end-to-end tests (playwright, Debian chromium)"
e2e_rc=0
PLAYWRIGHT_JSON_OUTPUT_NAME="$results/e2e.json" npx playwright test --reporter=list,json || e2e_rc=$?

echo "== kernel rig (QEMU q35 + emulated Intel IOMMU + SR-IOV igb/NVMe, guest runs this checkout)"
rig_rc=0
PASSDECK_REPORT_DIR="$results" bash e2e/kernel/run.sh || rig_rc=$?

node scripts/test-summary.mjs "$results/unit.json" "$results/e2e.json" "$results/rig-unit.json" "$results/rig-e2e.json"
rm -rf "$results"
[ $unit_rc = 0 ] && [ $e2e_rc = 0 ] && [ $rig_rc = 0 ]
