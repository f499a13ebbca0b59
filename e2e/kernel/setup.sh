#!/usr/bin/env bash
# Prepares the kernel rig (idempotent, as root; fast when already done):
#   - qemu-system-x86 10.0.x from bookworm-backports (bookworm's 7.2 has no igb), busybox-static, kmod,
#     iproute2, pciutils, nvme-cli, cpio, xz-utils
#   - a Debian bookworm 6.1 kernel image package, unpacked with dpkg -x into the rig cache (outside git),
#     modules indexed with depmod, the ELF vmlinux extracted from the bzImage (QEMU boots it through PVH),
#     and a tiny initramfs (busybox + the virtio/9p/overlay modules) keyed by the kernel version.
# Cache: ${PASSDECK_RIG_CACHE:-<repo>/.cache/kernel-rig}/<kernel-version>/; <cache>/current names the version in use.
# Env: PASSDECK_RIG_KERNEL=<version> pins a kernel (e.g. 6.1.0-56-amd64); --refresh picks the newest again.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${PASSDECK_RIG_CACHE:-$REPO/.cache/kernel-rig}"
REFRESH=0
[[ "${1:-}" == "--refresh" ]] && REFRESH=1
log() { echo "setup.sh: $*" >&2; }
die() { echo "setup.sh: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (apt-get install and a root-owned guest filesystem view need it)"
command -v apt-get >/dev/null || die "this rig needs a Debian/Ubuntu host (apt-get)"

# ---------------------------------------------------------------- packages
qemu_ok() {
  command -v qemu-system-x86_64 >/dev/null || return 1
  local v; v="$(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)"
  [[ -n "$v" && "$v" -ge 10 ]] || return 1
}
tools_ok() {
  [[ -x /bin/busybox ]] && /bin/busybox --list 2>/dev/null | grep -qx switch_root || return 1
  local t; for t in modprobe depmod ip lspci nvme cpio xz; do command -v "$t" >/dev/null || return 1; done
  dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null | grep -q "install ok installed" || return 1
}

APT_UPDATED=0
apt_update() { if [[ $APT_UPDATED -eq 0 ]]; then log "apt-get update"; apt-get update -qq; APT_UPDATED=1; fi; }

ensure_backports_source() {
  # Already configured (one-line or deb822 format)?
  if grep -rqsE '(^|\s)bookworm-backports(\s|$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null; then
    return 0
  fi
  # Use the same mirror host the machine already uses for bookworm.
  local mirror
  mirror="$(grep -rhsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)"
  [[ -n "$mirror" ]] || mirror="$(grep -hsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -1 || true)"
  [[ -n "$mirror" ]] || mirror="http://deb.debian.org/debian"
  mirror="${mirror%/}"
  log "adding bookworm-backports from $mirror"
  echo "deb $mirror bookworm-backports main" > /etc/apt/sources.list.d/passdeck-rig-backports.list
  APT_UPDATED=0
}

if ! qemu_ok || ! tools_ok; then
  export DEBIAN_FRONTEND=noninteractive
  ensure_backports_source
  apt_update
  if ! qemu_ok; then
    log "installing qemu-system-x86 from bookworm-backports"
    apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 >/dev/null
  fi
  if ! tools_ok; then
    log "installing busybox-static kmod iproute2 pciutils nvme-cli cpio xz-utils"
    apt-get install -y -qq --no-install-recommends busybox-static kmod iproute2 pciutils nvme-cli cpio xz-utils >/dev/null
  fi
  qemu_ok || die "qemu-system-x86_64 >= 10 is still missing after the install (bookworm-backports unreachable?)"
  tools_ok || die "busybox-static/kmod/iproute2/pciutils/nvme-cli/cpio/xz are still missing after the install"
fi
qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"' || die "this QEMU has no igb device (needs QEMU >= 8)"

# ---------------------------------------------------------------- kernel
mkdir -p "$CACHE"
KVER="${PASSDECK_RIG_KERNEL:-}"
if [[ -z "$KVER" && $REFRESH -eq 0 && -f "$CACHE/current" ]]; then
  KVER="$(cat "$CACHE/current")"
  [[ -f "$CACHE/$KVER/.complete" ]] || KVER=""
fi
if [[ -z "$KVER" ]]; then
  apt_update
  # The kernel linux-image-amd64 points at is the current bookworm 6.1 one.
  KVER="$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -1)"
  if [[ -z "$KVER" ]]; then
    KVER="$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' | awk '{print $1}' | sed 's/^linux-image-//; s/-unsigned$//' | sort -V | tail -1)"
  fi
  [[ -n "$KVER" ]] || die "no linux-image-6.1.0-*-amd64-unsigned package found (apt-get update?)"
fi
DIR="$CACHE/$KVER"

if [[ ! -f "$DIR/.complete" ]]; then
log "preparing kernel $KVER in $DIR"
rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp/deb"
apt_update
( cd "$DIR.tmp/deb" && apt-get download -qq -o APT::Sandbox::User=root "linux-image-$KVER-unsigned" ) || die "apt-get download linux-image-$KVER-unsigned failed"
dpkg -x "$DIR.tmp"/deb/*.deb "$DIR.tmp/root"
rm -rf "$DIR.tmp/deb"
if [[ ! -d "$DIR.tmp/root/lib/modules/$KVER" && -d "$DIR.tmp/root/usr/lib/modules/$KVER" ]]; then
  mkdir -p "$DIR.tmp/root/lib/modules"; mv "$DIR.tmp/root/usr/lib/modules/$KVER" "$DIR.tmp/root/lib/modules/"
fi
[[ -d "$DIR.tmp/root/lib/modules/$KVER" ]] || die "the package has no lib/modules/$KVER"
depmod -b "$DIR.tmp/root" "$KVER"

# ELF vmlinux out of the bzImage (the kernel's scripts/extract-vmlinux approach: find the xz stream, decompress).
BZ="$DIR.tmp/root/boot/vmlinuz-$KVER"
[[ -f "$BZ" ]] || die "no boot/vmlinuz-$KVER in the package"
extracted=0
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$BZ" | cut -d: -f1); do
  tail -c +"$((off + 1))" "$BZ" | xz -dc 2>/dev/null > "$DIR.tmp/vmlinux.try" || true
  if [[ "$(head -c 4 "$DIR.tmp/vmlinux.try" | od -An -c | tr -d ' ')" == "177ELF" ]]; then
    mv "$DIR.tmp/vmlinux.try" "$DIR.tmp/vmlinux"; extracted=1; break
  fi
done
rm -f "$DIR.tmp/vmlinux.try"
[[ $extracted -eq 1 ]] || die "could not extract an ELF vmlinux from $BZ (no xz stream?)"
touch "$DIR.tmp/.complete"
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
fi
echo "$KVER" > "$CACHE/current"

# Initramfs, rebuilt whenever the stage-1 init or this script changes (cheap: about a second).
IR_KEY="$(cat "$HERE/initramfs-init.sh" "$HERE/setup.sh" | sha256sum | cut -c1-16)"
if [[ -f "$DIR/initramfs.cpio.gz" && "$(cat "$DIR/initramfs.key" 2>/dev/null)" == "$IR_KEY" ]]; then
  log "ready: QEMU $(qemu-system-x86_64 --version | sed -n 's/.*version \([^ ]*\).*/\1/p' | head -1), kernel $KVER in $DIR"
  exit 0
fi
# Initramfs: busybox-static, the modules to reach a 9p root with an overlay, and the stage-1 init.
IR="$DIR/initramfs.tmp"
rm -rf "$IR"
mkdir -p "$IR"/{bin,dev,proc,sys,lower,rw,newroot,mods}
cp /bin/busybox "$IR/bin/busybox"
: > "$IR/mods/order"
while read -r kind path _; do
  [[ "$kind" == "insmod" ]] || continue
  name="$(basename "$path")"
  grep -qx "$name" "$IR/mods/order" && continue
  cp "$path" "$IR/mods/$name"
  echo "$name" >> "$IR/mods/order"
done < <(modprobe --show-depends -d "$DIR/root" -S "$KVER" -a virtio_pci 9pnet_virtio 9p overlay)
log "initramfs modules: $(tr '\n' ' ' < "$IR/mods/order")"
cp "$HERE/initramfs-init.sh" "$IR/init"
chmod +x "$IR/init" "$IR/bin/busybox"
( cd "$IR" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet ) | gzip -1 > "$DIR/initramfs.cpio.gz.tmp"
rm -rf "$IR"
mv "$DIR/initramfs.cpio.gz.tmp" "$DIR/initramfs.cpio.gz"
echo "$IR_KEY" > "$DIR/initramfs.key"
log "ready: kernel $KVER in $DIR ($(du -sh "$DIR" | cut -f1))"
