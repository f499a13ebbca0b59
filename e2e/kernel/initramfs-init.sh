#!/bin/busybox sh
# Stage 1 of the kernel rig (the initramfs /init, busybox only): load the virtio/9p/overlay modules, mount the
# host's root filesystem (shared read-only over virtio-9p, tag "root") with a tmpfs overlay on top, and
# switch_root into stage 2 (rig_stage2=<path> on the kernel command line, a script in the checkout).
/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

fail() {
  echo "rig-init: FATAL: $*" > /dev/console
  echo "rig-init: powering off" > /dev/console
  sleep 1
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s

for m in $(cat /mods/order); do
  insmod "/mods/$m" || fail "insmod $m"
done

stage2=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in rig_stage2=*) stage2="${arg#rig_stage2=}" ;; esac
done
[ -n "$stage2" ] || fail "no rig_stage2= on the kernel command line"

# virtio-9p-pci is probed asynchronously: wait for the channel to show up (bounded).
i=0
until mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,msize=512000,ro root /lower 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 50 ] || fail "cannot mount the 9p root (tag root)"
  sleep 0.1
done

mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay mount"

# Mount points inside the new root live on the tmpfs upper layer, so creating them never touches the host.
# /tmp stays the overlay's own (host content below, writes in the tmpfs upper): a checkout under the host's /tmp,
# as CI's fresh clone may be, must stay visible to the guest.
for d in proc sys dev run; do mkdir -p "/newroot/$d"; done
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
mount -t tmpfs -o mode=0755 run /newroot/run

[ -x "/newroot$stage2" ] || fail "stage 2 $stage2 is missing or not executable in the shared root"
exec switch_root /newroot "$stage2"
