#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/docs/shellcheck.sh SRCDIR - every tracked shell script is shellcheck clean
# (suite 'docs'): `git ls-files '*.sh'`, and the tracked files without the
# suffix whose first line is a sh or bash shebang. Each is checked from the
# source root with -x (sourced files are followed) and --source-path=SCRIPTDIR
# (so `. "$(dirname "$0")/../lib/common.sh"` resolves), at every severity.
# An exception is made at its line, with its reason:
#   # shellcheck disable=SC2086 # opts is a list of words on purpose
# The shellcheck program comes from scripts/setup.sh; a missing one is a failure.
set -u
set -o pipefail

src=${1:?usage: shellcheck.sh SRCDIR}
cd "$src" || exit 1
command -v shellcheck >/dev/null || { echo "FAIL: no shellcheck: run scripts/setup.sh (Debian package shellcheck)"; exit 1; }

files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	while IFS= read -r -d '' f; do
		[ -f "$f" ] || continue # deleted in the work tree
		case $f in
		*.sh) files+=("$f") ;;
		*) head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba)?sh([[:space:]]|$)' && files+=("$f") ;;
		esac
	done < <(git ls-files -z)
else
	# Not a git checkout (an unpacked tarball): the *.sh files outside build dirs.
	while IFS= read -r -d '' f; do
		files+=("${f#./}")
	done < <(find . -path './build*' -prune -o -name '*.sh' -type f -print0)
fi
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no shell scripts found in $src"; exit 1; }

out=$(shellcheck -x --source-path=SCRIPTDIR -f gcc "${files[@]}" 2>&1)
st=$?
n=$(grep -c . <<<"$out")
if [ "$st" != 0 ] || [ -n "$out" ]; then
	echo "$out"
	echo "FAIL: $n shellcheck finding(s) in ${#files[@]} scripts (fix them, or disable one at its line with a reason)"
	exit 1
fi
echo "ok: ${#files[@]} scripts shellcheck clean: ${files[*]}"
