#!/usr/bin/env bash
# Makes sure libvirtd answers on qemu:///system for the tests (the real daemon, not a mock): through systemd when
# it is PID 1, otherwise started by hand as on the CI machines (no systemd there). Idempotent.
set -euo pipefail
URI=qemu:///system
answers() { LC_ALL=C timeout 10 virsh -q -c "$URI" uri >/dev/null 2>&1; }
answers && exit 0
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
  systemctl start libvirtd.service || systemctl start virtqemud.socket
else
  pgrep -x virtlogd >/dev/null || virtlogd -d
  pgrep -x libvirtd >/dev/null || libvirtd -d
fi
for _ in $(seq 1 100); do
  answers && exit 0
  sleep 0.2
done
echo "libvirtd-up.sh: libvirtd does not answer on $URI after 20 s" >&2
exit 1
