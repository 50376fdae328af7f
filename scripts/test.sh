#!/usr/bin/env bash
# The README's test command: installs what the project needs on a fresh
# Debian 12 (as root), then runs every check and test (scripts/check.sh).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$top/scripts/deps.sh"
exec "$top/scripts/check.sh"
