#!/usr/bin/env bash
# Print the kernel release the project builds and tests against, e.g.
# 6.1.0-57-amd64 or 6.12.117+deb12-amd64: the newest installed Debian
# headers (/usr/src/linux-headers-<release>, generic amd64 flavour) of a
# kernel series. Single source of truth so the Makefile and the VM scripts
# agree.
# Usage: scripts/kver.sh [SERIES | RELEASE]
#   SERIES   6.1 (the default) or 6.12: newest installed 6.1.0-N-amd64 or
#            6.12.N+debNN-amd64
#   RELEASE  an installed release (headers present): printed as it is
# Without an argument LBIPAM_KVER overrides. Exit 1 (message on stderr) if
# no headers match.
set -euo pipefail

arg=${1:-}
if [[ -z "$arg" && -n "${LBIPAM_KVER:-}" ]]; then
	printf '%s\n' "$LBIPAM_KVER"
	exit 0
fi
series=${arg:-6.1}

if [[ -f "/usr/src/linux-headers-$series/Makefile" ]]; then
	printf '%s\n' "$series"
	exit 0
fi
if [[ ! "$series" =~ ^[0-9]+\.[0-9]+$ ]]; then
	echo "kver.sh: $series is neither a kernel series (6.1, 6.12) nor an installed release (no /usr/src/linux-headers-$series)" >&2
	exit 1
fi

# Debian names its releases 6.1.0-<ABI>-amd64 and 6.12.<sublevel>+deb<N>-amd64;
# only the generic flavour counts (not cloud-amd64 or rt-amd64: the cloud
# kernel has no 9p, which the VM needs).
shopt -s nullglob
cands=()
for d in "/usr/src/linux-headers-$series."*-amd64; do
	kv=${d#/usr/src/linux-headers-}
	rest=${kv#"$series".}
	[[ "$rest" =~ ^[0-9]+(-[0-9]+|\+deb[0-9]+)-amd64$ ]] || continue
	[[ -f "$d/Makefile" ]] || continue
	cands+=("$kv")
done

if ((${#cands[@]} == 0)); then
	echo "kver.sh: no /usr/src/linux-headers-$series.*-amd64 found (run scripts/deps.sh)" >&2
	exit 1
fi
# Version order, not string order: 6.1.0-9 < 6.1.0-57, 6.12.99 < 6.12.117.
printf '%s\n' "${cands[@]}" | sort -V | tail -n 1
