#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# install.sh MESON BUILDDIR MANDIR - `meson install --destdir` (what `make
# install` runs, with DESTDIR) puts the five man pages in share/man/man1 and
# share/man/man8, as they are in MANDIR (suite 'docs').
set -u
set -o pipefail

meson=${1:?usage: install.sh MESON BUILDDIR MANDIR}
build=${2:?}
mandir=${3:?}
dest=$(mktemp -d)
# shellcheck disable=SC2064 # $dest is meant to expand now
trap "rm -rf '$dest'" EXIT

if ! out=$("$meson" install -C "$build" --destdir "$dest" --no-rebuild 2>&1); then
	echo "FAIL: meson install --destdir failed:"
	echo "$out"
	exit 1
fi
rc=0
for page in man1/pbgen.1 man1/pbrun.1 man8/patchbay.8 man8/patchbayd.8 man8/patchbay-cni.8; do
	found=$(find "$dest" -path "*/share/man/$page" -type f)
	if [ -z "$found" ]; then
		echo "FAIL: $page is not installed under share/man; installed:"
		(cd "$dest" && find . -type f | sort)
		rc=1
	elif ! cmp -s "$found" "$mandir/${page#*/}"; then
		echo "FAIL: ${found#"$dest"} differs from $mandir/${page#*/}"
		rc=1
	else
		echo "ok: ${found#"$dest"}"
	fi
done
exit "$rc"
