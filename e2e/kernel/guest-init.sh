#!/bin/sh
# Stage 2 of the kernel rig, PID 1 in the guest after switch_root (the host's root filesystem, read-only over 9p,
# with a tmpfs overlay). There is no udev or systemd: load drivers from the modaliases, configure the forwarded
# NIC (found by its MAC), and start Passdeck's production server and the test-only control agent.
# Parameters come from the kernel command line (rig.mjs writes them): rig_repo, rig_moddir, rig_mac,
# rig_build, rig_server_port, rig_host_server_port, rig_agent_port, rig_debug, rig_shell_tty.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=linux

log() { echo "rig-guest: $*" > /dev/console; }
t0=$(cut -d' ' -f1 /proc/uptime)

repo=/work/main build="" moddir="" mac="" lan_macs="" server_port=7878 host_server_port=17878 agent_port=7879 debug=0 shell_tty=ttyS1
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    rig_repo=*) repo="${arg#rig_repo=}" ;;
    rig_moddir=*) moddir="${arg#rig_moddir=}" ;;
    rig_build=*) build="${arg#rig_build=}" ;;
    rig_mac=*) mac="${arg#rig_mac=}" ;;
    rig_lan_macs=*) lan_macs="${arg#rig_lan_macs=}" ;;
    rig_server_port=*) server_port="${arg#rig_server_port=}" ;;
    rig_host_server_port=*) host_server_port="${arg#rig_host_server_port=}" ;;
    rig_agent_port=*) agent_port="${arg#rig_agent_port=}" ;;
    rig_debug=*) debug="${arg#rig_debug=}" ;;
    rig_shell_tty=*) shell_tty="${arg#rig_shell_tty=}" ;;
  esac
done
kver=$(uname -r)
log "stage 2 at ${t0}s: kernel $kver, repo $repo"

mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 shm /dev/shm 2>/dev/null
hostname passdeck-rig

# The modules of the unpacked Debian kernel, where modprobe looks for them.
if [ -n "$moddir" ] && [ -d "$moddir" ]; then
  mkdir -p /usr/lib/modules
  ln -sfn "$moddir" "/usr/lib/modules/$kver"
else
  log "WARNING: no module directory ($moddir): drivers will not load"
fi

# virtio_pci is loaded already (initramfs), so the virtio devices are there: virtio_net first, so the forwarded
# NIC and the two node processes come up while the PCI drivers load.
modprobe -q -a $(cat /sys/bus/virtio/devices/*/modalias 2>/dev/null) 2>/dev/null

# The interface with MAC $1, waiting up to $2 tenths of a second for its driver to make it (prints its name).
iface_by_mac() {
  tries=0
  while [ "$tries" -lt "$2" ]; do
    for n in /sys/class/net/*; do
      [ "$(cat "$n/address" 2>/dev/null)" = "$1" ] && { echo "${n##*/}"; return 0; }
    done
    sleep 0.1
    tries=$((tries + 1))
  done
  return 1
}

# The forwarded NIC, by MAC.
ip link set lo up
if iface=$(iface_by_mac "$mac" 100); then
  ip link set "$iface" up
  ip addr add 10.0.2.15/24 dev "$iface"
  ip route add default via 10.0.2.2 dev "$iface"
  log "network: $iface ($mac) 10.0.2.15/24 via 10.0.2.2"
else
  log "ERROR: no interface with MAC $mac; the forwards will not answer"
fi

# The NICs on their own LAN come up as a cabled host NIC does (link up, no address configured): the kernel then
# takes what the LAN advertises (SLAAC, an RA default route). In the background: their drivers load later.
(
  for lan in $(echo "$lan_macs" | tr ',' ' '); do
    if lif=$(iface_by_mac "$lan" 300); then ip link set "$lif" up && log "network: $lif ($lan) up on its LAN (router advertisements on)"
    else log "WARNING: no interface with MAC $lan: its link stays down"; fi
  done
) &

# Passdeck's data directory lives on the host (9p tag passdeck-data), so it outlives a guest reboot as a disk would.
# cache=mmap: SQLite's WAL index is a shared mapping.
mkdir -p /var/lib/passdeck
mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=512000 passdeck-data /var/lib/passdeck \
  || log "WARNING: cannot mount the data directory (tag passdeck-data): the journal lives in the guest's tmpfs"

# The build snapshot rig.mjs took at start, over the checkout's own: a rebuild on the host cannot disturb the guest.
if [ -n "$build" ] && [ -f "$build/.next/BUILD_ID" ]; then
  mount --bind "$build/.next" "$repo/.next" && mount --bind "$build/dist" "$repo/dist" \
    || log "WARNING: cannot bind the build snapshot $build; serving the checkout's .next and dist"
fi
cd "$repo" || log "ERROR: no $repo in the shared root"
# Test-only control agent (listens only inside this throwaway guest); /health says ready once /run/rig-ready exists.
RIG_AGENT_PORT=$agent_port node e2e/kernel/guest-agent.mjs > /dev/console 2>&1 &
# Passdeck as a host runs it: npm start as root starts the privileged helper (root) and drops the web server and
# the probe agent to an unprivileged user (uid 1500, no passwd entry needed). That user reaches the checkout through
# a bind mount (its parents on the host may be root-only) and pings through ping_group_range, as systemd sets it.
sysctl -q -w net.ipv4.ping_group_range="0 2147483647" || log "WARNING: cannot set ping_group_range: unprivileged ping fails"
mkdir -p /run/passdeck-app && mount --rbind "$repo" /run/passdeck-app || log "ERROR: cannot bind the checkout for the web user"
# The web user, as `useradd --system passdeck` makes it (the root overlay's upper layer is tmpfs: the host's /etc is
# untouched); libvirt's client needs a passwd entry for the uid it runs as.
grep -q '^passdeck:' /etc/passwd || echo 'passdeck:x:1500:1500:Passdeck:/var/lib/passdeck:/usr/sbin/nologin' >> /etc/passwd
grep -q '^passdeck:' /etc/group || echo 'passdeck:x:1500:' >> /etc/group
cd /run/passdeck-app
# Served beyond loopback for the port forward, which start.mjs allows because rig.mjs made an admin before boot.
# Plain HTTP (the forward is the host's loopback into a throwaway guest), and the tests' Host and Origin are
# 127.0.0.1 on the forwarded port, which the server must be told about. A 20 s dead-man window (60 s by default)
# keeps the rig's rollback test short.
PASSDECK_HOST=0.0.0.0 PASSDECK_PORT=$server_port PASSDECK_TLS=off PASSDECK_ALLOWED_HOSTS=127.0.0.1:$host_server_port \
  PASSDECK_WEB_USER=passdeck PASSDECK_CONFIRM_WINDOW_S=20 \
  node scripts/start.mjs > /dev/console 2>&1 &
log "started agent (:$agent_port) and server (:$server_port) at $(cut -d' ' -f1 /proc/uptime)s"

# Drivers for every PCI function from its modalias (there is no udev), a second virtio pass for anything that
# appeared meanwhile, and vfio-pci for the write-side tests.
modprobe -q -a $(cat /sys/bus/pci/devices/*/modalias) 2>/dev/null
modprobe -q -a $(cat /sys/bus/virtio/devices/*/modalias 2>/dev/null) 2>/dev/null
modprobe -q vfio-pci 2>/dev/null || log "WARNING: modprobe vfio-pci failed"
# From now on, load the driver of any device that appears (SR-IOV VFs: igbvf) the way udev would: busybox mdev as
# a netlink daemon whose only rule runs modprobe on the uevent's MODALIAS (no device nodes: devtmpfs has them).
# The first matching rule wins: the world-usable nodes keep udev's 0666 (the web user's children open /dev/null).
printf '%s\n' 'null 0:0 666' 'zero 0:0 666' 'full 0:0 666' 'random 0:0 666' 'urandom 0:0 666' 'tty 0:0 666' \
  '$MODALIAS=.* 0:0 660 ! @modprobe -q -b "$MODALIAS"' > /etc/mdev.conf
busybox mdev -d || log "WARNING: busybox mdev -d failed: VF drivers will not load by themselves"
chmod 0666 /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty 2>/dev/null
# udev's rule for the vfio container node (KERNEL=="vfio", MODE="0666"): QEMU runs as libvirt-qemu and opens it.
chmod 0666 /dev/vfio/vfio 2>/dev/null || log "WARNING: no /dev/vfio/vfio"
# libvirtd for qemu:///system, as a hypervisor host runs it (no systemd here: daemons started by hand). The default
# network is not started: no bridge or dnsmasq is needed, VMs get their network through VFs.
# The unprivileged web server reads VMs over libvirt's read-only socket (0777). A host lets any user use it through
# polkit, which needs D-Bus; this guest has none, so the read-only socket asks for no authentication instead (the
# read-write socket, the helper's, stays root-only).
grep -q '^auth_unix_ro' /etc/libvirt/libvirtd.conf 2>/dev/null || echo 'auth_unix_ro = "none"' >> /etc/libvirt/libvirtd.conf
virtlogd -d && libvirtd -d || log "WARNING: libvirtd did not start: the VM tests will fail"
echo "$iface" > /run/rig-ready
log "drivers loaded, ready at $(cut -d' ' -f1 /proc/uptime)s"

# An interactive shell on a serial port: ttyS1 (rig.mjs shell connects to it through a unix socket), or ttyS0
# when rig.mjs console put the console on a terminal. Only if that UART really exists.
idx=${shell_tty#ttyS}
if grep -q "^$idx: uart:16550" /proc/tty/driver/serial 2>/dev/null; then
  (
    while :; do
      setsid -c /bin/bash -l < "/dev/$shell_tty" > "/dev/$shell_tty" 2>&1
      sleep 1
    done
  ) &
fi

[ "$debug" = 1 ] && { lspci -nn > /dev/console 2>&1; ip -br addr > /dev/console 2>&1; }

# PID 1 must never exit: reap what it can and idle.
while :; do
  wait
  sleep 5
done
