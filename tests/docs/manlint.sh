#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# manlint.sh MANDIR - every man page in MANDIR is lint-free by mandoc(1)
# (-T lint at level warning: bad macros, arguments, section order, Xr order)
# and renders; and MANDIR/meson.build installs every page there (suite
# 'docs'). mandoc comes from scripts/setup.sh; a missing one is a failure.
set -u
set -o pipefail

mandir=${1:?usage: manlint.sh MANDIR}
command -v mandoc >/dev/null || { echo "FAIL: no mandoc: run scripts/setup.sh (Debian package mandoc)"; exit 1; }
rc=0
n=0
for page in "$mandir"/*.[1-8]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if ! out=$(mandoc -T lint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "FAIL: mandoc -T lint -W warning $page:"
		echo "$out"
		rc=1
	fi
	if ! mandoc -T utf8 "$page" >/dev/null 2>&1; then
		echo "FAIL: mandoc cannot render $page"
		rc=1
	fi
	if ! grep -q "'$(basename "$page")'" "$mandir/meson.build"; then
		echo "FAIL: $(basename "$page") is not installed by $mandir/meson.build"
		rc=1
	fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no man pages in $mandir"; exit 1; }
[ "$rc" = 0 ] && echo "ok: $n man pages lint clean"
exit "$rc"
