#!/usr/bin/env bash
# The Debian packages as a user gets them: `make deb` (debhelper, lintian
# without errors), then `apt-get install ./lbipam-dkms_*.deb
# ./lbipam_*.deb` into a chroot on a writable overlay of the host's root
# whose /lib/modules holds only the VM's kernel (Debian's 6.1): the
# packages' own maintainer scripts run and DKMS builds the module for that
# kernel, natively (under the VM's emulation the same build took a quarter
# of an hour). Then the VM boots that kernel on the same overlay: DKMS's
# module loads, lbipamd starts from the unit's own ExecStart line (no
# systemd in the VM) and programs it. Back on the host a purge takes
# everything away. Prints TAP.
# Usage: scripts/deb-check.sh [--kernel KV]    (the VM's kernel; default 6.1)
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ver=$(cat "$top/VERSION")
n=0 failed=0

ok() {
	n=$((n + 1))
	if [[ "$1" == 0 ]]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
		[[ -s "${out:-}" ]] && tail -n 30 "$out" | sed 's/^/#   /'
	fi
}

# check DESCRIPTION COMMAND...: one test, its output kept for a failure.
check() {
	local d=$1
	shift
	"$@" >"$out" 2>&1
	ok $? "$d"
}

# The overlay's layers: root/ (the root's changes), mods/ (the changes to
# /lib/modules/KV). On a tmpfs of their own: an upper layer may not lie on
# the filesystem of its lower one, and the VM reads them through the repo
# share.
work=$top/build/deb-check
r=$work/root-mnt

in_root() { chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

# mount_root LOWER...: the chroot at $r, the given layers over /, with
# /lib/modules holding only $kv (its lower layers: $kv_lower).
mount_root() {
	mkdir -p "$r" "$work/up" "$work/wk"
	mount -t overlay overlay -o "lowerdir=$1,upperdir=$work/up,workdir=$work/wk" "$r" &&
		mount -t proc proc "$r/proc" &&
		mount --rbind /sys "$r/sys" && mount --make-rslave "$r/sys" &&
		mount --rbind /dev "$r/dev" && mount --make-rslave "$r/dev" &&
		mount -t tmpfs tmpfs "$r/run" &&
		mount -t tmpfs tmpfs "$r/tmp" &&
		mount -t tmpfs tmpfs "$r/usr/lib/modules" &&
		mkdir -p "$r/usr/lib/modules/$kv" "$work/mup" "$work/mwk" &&
		mount -t overlay overlay -o "lowerdir=$kv_lower,upperdir=$work/mup,workdir=$work/mwk" \
			"$r/usr/lib/modules/$kv"
}

umount_root() {
	umount -R "$r" 2>/dev/null || umount -R -l "$r" 2>/dev/null
	! mountpoint -q "$r"
}

if [[ "${1:-}" != --in-vm ]]; then
	kernel=6.1
	[[ "${1:-}" == --kernel && -n "${2:-}" ]] && kernel=$2
	out=$(mktemp)
	# shellcheck disable=SC2317 # the EXIT trap
	cleanup() {
		umount_root
		mountpoint -q "$work" && umount "$work"
		rm -f "$out"
	}
	trap cleanup EXIT
	check "make deb: lbipam and lbipam-dkms build, lintian reports no error" \
		make -s -C "$top" deb
	((failed)) && { echo "1..$n"; exit 1; }
	grep -E '^[EW]: ' "$top/build/deb/lintian.log" | sed 's/^/# lintian: /'
	kv=$(scripts/kver.sh "$kernel") || { echo "not ok - no kernel $kernel"; exit 1; }
	umount_root >/dev/null 2>&1
	mountpoint -q "$work" && umount "$work"
	mkdir -p "$work" && mount -t tmpfs tmpfs "$work" || exit 1
	kv_lower=/usr/lib/modules/$kv
	mount_root / || { echo "not ok - cannot mount the overlay root"; exit 1; }
	cp "$top"/build/deb/lbipam_"$ver"_*.deb "$top"/build/deb/lbipam-dkms_"$ver"_all.deb "$r/tmp/"
	rm -f "$r/var/lib/man-db/auto-update"
	check "apt-get install ./lbipam-dkms ./lbipam: DKMS builds for $kv, the only kernel in the root" \
		in_root sh -c 'apt-get install -y -q /tmp/lbipam-dkms_*.deb /tmp/lbipam_*.deb'
	check "DKMS built and installed lbipam/$ver for $kv" \
		in_root sh -c "dkms status -m lbipam -v $ver -k $kv | grep -q ': installed'"
	ko=$(in_root modinfo -k "$kv" -F filename lbipam 2>/dev/null)
	check "modinfo finds DKMS's module ($ko)" \
		test "$ko" = "/lib/modules/$kv/updates/dkms/lbipam.ko" -o \
		"$ko" = "/lib/modules/$kv/updates/dkms/lbipam.ko.xz"
	check "the group lbipam exists (lbipam's postinst)" in_root getent group lbipam
	check "lbctl's bash completion is installed and registers" \
		in_root bash -c '. /usr/share/bash-completion/completions/lbctl && complete -p lbctl'
	check "man pages lbctl(8) and lbipamd(8) are installed" \
		test -f "$r/usr/share/man/man8/lbctl.8.gz" -a -f "$r/usr/share/man/man8/lbipamd.8.gz"
	# The VM mounts the same layers (read-only, under its own upper).
	umount_root || { echo "not ok - the overlay root stays mounted"; exit 1; }
	mv "$work/up" "$work/root" && mv "$work/mup" "$work/mods" &&
		rm -rf "$work/wk" "$work/mwk"
	# The module index, by the host's depmod (the root's own, on a tree of
	# the VM kernel's modules plus DKMS's updates/): under emulation the
	# same depmod took 45 s. The VM copies it next to the same files.
	img=$(scripts/vm-image.sh "$kernel") || { echo "not ok - no VM image for $kernel"; exit 1; }
	idx=$work/idx/lib/modules/$kv
	kmods=$img/root/lib/modules/$kv
	[[ -d "$kmods/kernel" ]] || kmods=$img/root/usr/lib/modules/$kv
	mkdir -p "$idx" && ln -s "$kmods/kernel" "$idx/kernel" &&
		ln -s "$work/mods/updates" "$idx/updates" &&
		cp "$kmods"/modules.order "$kmods"/modules.builtin* "$idx/" || exit 1
	check "depmod $kv with DKMS's module among the kernel's own" \
		depmod -b "$work/idx" "$kv"
	check "the index has DKMS's module and the kernel's own" \
		sh -c "grep -q '^updates/dkms/lbipam.ko[^:]*: .*nf_nat' '$idx/modules.dep' &&
			test \$(wc -l <'$idx/modules.dep') -gt 1000"
	echo "$n" >"$work/n"
	LBIPAM_DEB_KV=$kv scripts/vm-run.sh --kernel "$kernel" --timeout 900 \
		-- "$top/scripts/deb-check.sh" --in-vm
	rc=$?
	n=$(cat "$work/n")
	((rc == 0)) || failed=1
	# The purge runs on the host, on the layers as the VM left them.
	kv_lower=$work/mods:/usr/lib/modules/$kv
	mount_root "$work/root:/" || { echo "not ok - cannot mount the overlay root again"; exit 1; }
	out=$(mktemp)
	check "apt-get purge removes both packages" \
		in_root apt-get purge -y -q lbipam lbipam-dkms
	check "DKMS no longer knows lbipam" \
		sh -c "test -z \"\$(chroot '$r' dkms status -m lbipam 2>&1)\""
	check "no lbipam.ko is left in the module tree" \
		sh -c "! find '$r/usr/lib/modules/$kv' -name 'lbipam.ko*' | grep -q ."
	echo "1..$n"
	exit $failed
fi

# In the VM: the host's layers over the VM's own root, under a tmpfs upper.
n=$(cat "$work/n")
kv=$(uname -r)
[[ "$kv" == "${LBIPAM_DEB_KV:-$kv}" ]] || { echo "not ok - booted $kv, not $LBIPAM_DEB_KV"; exit 1; }
tmpw=/tmp/deb-check
mkdir -p "$tmpw"
mount -t tmpfs tmpfs "$tmpw" && mkdir -p "$tmpw/up" "$tmpw/wk" || exit 1
r=$tmpw/root-mnt
mkdir -p "$r"
mount -t overlay overlay -o "lowerdir=$work/root:/,upperdir=$tmpw/up,workdir=$tmpw/wk" "$r" || exit 1
mount -t proc proc "$r/proc"
mount --rbind /sys "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
# The kernel's own modules (from the kernel share; the host has none of
# them) and DKMS's updates/ as the host left it, then the index the
# host's depmod made of them.
kroot=/run/lbipam/kroot
src=$kroot/lib/modules/$kv
[[ -d "$src/kernel" ]] || src=$kroot/usr/lib/modules/$kv
md=$r/usr/lib/modules/$kv
mount -t tmpfs -o mode=0755 tmpfs "$md" && mkdir -p "$md/kernel" "$md/updates" &&
	mount --bind "$src/kernel" "$md/kernel" &&
	mount --bind "$work/mods/updates" "$md/updates" &&
	cp "$work/idx/lib/modules/$kv"/modules.* "$md/" || exit 1
out=$tmpw/out
check "modprobe lbipam loads it" in_root modprobe lbipam
srcv=$(in_root modinfo -k "$kv" -F srcversion lbipam 2>/dev/null)
check "the loaded module is the one DKMS built (srcversion ${srcv:-none})" \
	test -n "$srcv" -a "$(cat /sys/module/lbipam/srcversion 2>/dev/null)" = "$srcv"

unit=$r/lib/systemd/system/lbipamd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
state_dir=$(sed -n 's/^StateDirectory=//p' "$unit")
run_dir=$(sed -n 's/^RuntimeDirectory=//p' "$unit")
check "the unit starts /usr/sbin/lbipamd" test "${exec_start%% *}" = /usr/sbin/lbipamd
mkdir -p "$r/var/lib/$state_dir" "$r/run/$run_dir"
# shellcheck disable=SC2086  # ExecStart is a command line, split as systemd does
(exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $exec_start) \
	>"$tmpw/lbipamd.log" 2>&1 &
pid=$!
up=1
for ((i = 0; i < 100; i++)); do
	in_root lbctl get status >/dev/null 2>&1 && { up=0; break; }
	sleep 0.2
done
out=$tmpw/lbipamd.log
ok $up "lbipamd runs from ExecStart (\"$exec_start\") and answers lbctl"

cat >"$r/tmp/objects.yaml" <<'YAML'
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: deb-pool}
spec:
  blocks: [{cidr: 198.51.100.0/30}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.20
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: ["10.244.0.5"]
  conditions: {ready: true}
YAML
out=$tmpw/out
check "lbctl apply -f: a pool, a Service and its EndpointSlice" \
	in_root lbctl apply -f /tmp/objects.yaml
programmed=1
for ((i = 0; i < 50; i++)); do
	if in_root lbctl service show 198.51.100.0:80/tcp >"$out" 2>&1 &&
		grep -q '10.244.0.5:8080' "$out"; then
		programmed=0
		break
	fi
	sleep 0.2
done
ok $programmed "lbipamd programmed DKMS's module: 198.51.100.0:80/tcp -> 10.244.0.5:8080"

kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
out=$tmpw/lbipamd.log
((up == 0)) || rc=1
ok $rc "lbipamd stops on SIGTERM with status 0"
rmmod lbipam 2>"$out"
umount -R "$r" 2>/dev/null || umount -R -l "$r"
echo "$n" >"$work/n"
exit $failed
