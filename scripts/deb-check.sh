#!/usr/bin/env bash
# The Debian packages as a user gets them: `make deb` (debhelper, lintian
# without errors) on the host, then, in the VM on Debian's 6.1 kernel,
# `apt-get install ./lbipam-dkms_*.deb ./lbipam_*.deb` into a writable
# overlay of the (read-only) root: DKMS builds the module for the running
# kernel, it loads, lbipamd starts from the unit's own ExecStart line (no
# systemd in the VM) and programs it, and a purge takes everything away.
# Prints TAP.
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

if [[ "${1:-}" != --in-vm ]]; then
	kernel=6.1
	[[ "${1:-}" == --kernel && -n "${2:-}" ]] && kernel=$2
	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
	check "make deb: lbipam and lbipam-dkms build, lintian reports no error" \
		make -s -C "$top" deb
	if ((failed)); then
		echo "1..$n"
		exit 1
	fi
	grep -E '^[EW]: ' "$top/build/deb/lintian.log" | sed 's/^/# lintian: /'
	# The VM's TAP continues this numbering.
	LBIPAM_DEB_FIRST=$n scripts/vm-run.sh --kernel "$kernel" --timeout 1500 \
		-- "$top/scripts/deb-check.sh" --in-vm
	exit $?
fi

# In the VM, as root. Everything below happens in the overlay; the host's
# root stays untouched.
n=${LBIPAM_DEB_FIRST:-0}
kv=$(uname -r)
work=/tmp/deb-check
r=$work/root
out=$work/out
mkdir -p "$work/upper" "$work/work" "$r"
mount -t overlay overlay \
	-o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$r" || exit 1
mount -t proc proc "$r/proc"
mount --rbind /sys "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
# The VM's module tree (unpacked from the kernel's package, on a tmpfs):
# where DKMS installs and depmod writes, and what modprobe reads.
mount --rbind "/usr/lib/modules/$kv" "$r/usr/lib/modules/$kv"
# The VM runs one kernel; the host's other header sets would make DKMS
# build for them too (the newest kernel as well as the running one):
# minutes under TCG that scripts/dkms-check.sh already spends on the host.
for d in "$r"/usr/lib/modules/*; do
	[[ "${d##*/}" == "$kv" ]] || rm -rf "$d"
done
# man-db's trigger re-indexes every manual page on each dpkg run: minutes
# under TCG and nothing this test looks at (what Debian's container images
# do too).
rm -f "$r/var/lib/man-db/auto-update"
cp "$top"/build/deb/lbipam_"$ver"_*.deb "$top"/build/deb/lbipam-dkms_"$ver"_all.deb "$r/tmp/"

in_root() { chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

check "apt-get install ./lbipam-dkms ./lbipam (dependencies already on the image)" \
	in_root sh -c 'apt-get install -y -q /tmp/lbipam-dkms_*.deb /tmp/lbipam_*.deb'
check "DKMS built and installed lbipam/$ver for the running kernel $kv" \
	in_root sh -c "dkms status -m lbipam -v $ver -k $kv | grep -q ': installed'"
ko=$(in_root modinfo -k "$kv" -F filename lbipam 2>/dev/null)
check "modinfo finds DKMS's module ($ko)" \
	test "$ko" = "/lib/modules/$kv/updates/dkms/lbipam.ko" -o \
	"$ko" = "/lib/modules/$kv/updates/dkms/lbipam.ko.xz"
check "modprobe lbipam loads it" in_root modprobe lbipam
srcv=$(in_root modinfo -k "$kv" -F srcversion lbipam 2>/dev/null)
check "the loaded module is the one DKMS built (srcversion ${srcv:-none})" \
	test -n "$srcv" -a "$(cat /sys/module/lbipam/srcversion 2>/dev/null)" = "$srcv"
check "the group lbipam exists (lbipam's postinst)" in_root getent group lbipam
check "lbctl's bash completion is installed and registers" \
	in_root bash -c '. /usr/share/bash-completion/completions/lbctl && complete -p lbctl'
check "man pages lbctl(8) and lbipamd(8) are installed" \
	test -f "$r/usr/share/man/man8/lbctl.8.gz" -a -f "$r/usr/share/man/man8/lbipamd.8.gz"

# lbipamd as systemd would start it: the unit's ExecStart, after creating
# its StateDirectory and RuntimeDirectory.
unit=$r/lib/systemd/system/lbipamd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
state_dir=$(sed -n 's/^StateDirectory=//p' "$unit")
run_dir=$(sed -n 's/^RuntimeDirectory=//p' "$unit")
check "the unit starts /usr/sbin/lbipamd" test "${exec_start%% *}" = /usr/sbin/lbipamd
mkdir -p "$r/var/lib/$state_dir" "$r/run/$run_dir"
# shellcheck disable=SC2086  # ExecStart is a command line, split as systemd does
(exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $exec_start) \
	>"$work/lbipamd.log" 2>&1 &
pid=$!
up=1
for ((i = 0; i < 100; i++)); do
	in_root lbctl get status >/dev/null 2>&1 && { up=0; break; }
	sleep 0.2
done
out=$work/lbipamd.log
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
out=$work/out
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
out=$work/lbipamd.log
((up == 0)) || rc=1
ok $rc "lbipamd stops on SIGTERM with status 0"
out=$work/out
rmmod lbipam 2>"$out"
check "apt-get purge removes both packages" \
	in_root apt-get purge -y -q lbipam lbipam-dkms
check "DKMS no longer knows lbipam" \
	sh -c "test -z \"\$(chroot '$r' dkms status -m lbipam 2>&1)\""
check "no lbipam.ko is left in the module tree" \
	sh -c "! find '/usr/lib/modules/$kv/updates' -name 'lbipam.ko*' | grep -q ."

umount -R "$r" 2>/dev/null || umount -l "$r"
echo "1..$n"
exit $failed
