#!/usr/bin/env bash
# Print the kernel release (e.g. 6.1.0-56-amd64) the project builds and tests
# against: the highest installed /usr/src/linux-headers-6.1.0-N-amd64.
# Single source of truth so the Makefile and the VM scripts agree.
# Override with LBIPAM_KVER. Exit 1 (message on stderr) if no headers found.
set -euo pipefail

if [[ -n "${LBIPAM_KVER:-}" ]]; then
	printf '%s\n' "$LBIPAM_KVER"
	exit 0
fi

best=""
best_n=-1
shopt -s nullglob
for d in /usr/src/linux-headers-6.1.0-*-amd64; do
	kv=${d#/usr/src/linux-headers-}
	n=${kv#6.1.0-}
	n=${n%-amd64}
	# Only the generic flavour: skip cloud-amd64, rt-amd64 and the like.
	[[ "$n" =~ ^[0-9]+$ ]] || continue
	[[ -f "$d/Makefile" ]] || continue
	if ((n > best_n)); then
		best_n=$n
		best=$kv
	fi
done

if [[ -z "$best" ]]; then
	echo "kver.sh: no /usr/src/linux-headers-6.1.0-N-amd64 found (run scripts/deps.sh)" >&2
	exit 1
fi
printf '%s\n' "$best"
