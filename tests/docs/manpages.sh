#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# manpages.sh - each program's man page documents exactly the options its
# --help lists (suite 'docs').
#
#   manpages.sh MANDIR PROGRAM...           check each PROGRAM against
#                                           MANDIR/NAME.1 or MANDIR/NAME.8
#   manpages.sh --selftest MANDIR PROGRAM   show that the check fails on an
#                                           option added to --help only, and
#                                           on one added to the page only
#
# What counts as an option of --help (`PROGRAM --help`, stdout and stderr,
# whatever its exit status):
#   - an option line is one that begins, after at most 8 spaces, with '-';
#     the options are the -X and --long words of its head, the part before
#     the first run of two spaces (where the description starts), so
#     "  -s, --size N    frame size ..." gives -s and --size;
#   - if the help has a line "options:" (or "... options:") at column 0,
#     only the option lines of the blocks under such headers count, a block
#     ending at the next line at column 0. `patchbay --help` has one: its
#     global options are checked, not the flags inside the command grammar
#     ("del PORT [--force]"), which the page describes by group only.
# What counts as an option of the page: every "Fl WORD" on the .It lines of
# its OPTIONS section (mdoc: ".It Fl s , Fl \-size Ar n" gives -s, --size).
# The page must also have the sections NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
# EXIT STATUS, EXAMPLES and SEE ALSO.
set -u
set -o pipefail

# The options --help lists, one per line, sorted.
help_options()
{
	awk '
	{ line[NR] = $0 }
	/^[^ \t].*[Oo]ptions:[ \t]*$/ { headers = 1 }
	END {
		inblock = !headers
		for (i = 1; i <= NR; i++) {
			l = line[i]
			if (l ~ /^[^ \t]/) {
				if (headers)
					inblock = (l ~ /[Oo]ptions:[ \t]*$/)
				continue
			}
			# (mawk has no {m,n}: the indent is measured)
			if (!inblock || !match(l, /^ *-/) || RLENGTH > 9)
				continue
			sub(/^ +/, "", l)
			sub(/  .*/, "", l)
			n = split(l, w, /[ ,|=\[\]]+/)
			for (j = 1; j <= n; j++)
				if (w[j] ~ /^--?[A-Za-z0-9?][A-Za-z0-9-]*$/)
					print w[j]
		}
	}' | sort -u
}

# The options a page's OPTIONS section documents, one per line, sorted.
page_options()
{
	awk '
	/^\.Sh / { inopt = ($0 ~ /^\.Sh "?OPTIONS"?[ \t]*$/); next }
	inopt && /^\.It / {
		n = split($0, w, /[ \t]+/)
		for (j = 1; j < n; j++)
			if (w[j] == "Fl") {
				f = w[j + 1]
				gsub(/\\-/, "-", f)
				gsub(/\\&/, "", f)
				print "-" f
			}
	}' "$1" | sort -u
}

# check PROGRAM PAGE: prints every disagreement; fails if there is one.
check()
{
	local prog=$1 page=$2 name help doc s bad=0

	name=$(basename "$page")
	help=$("$prog" --help 2>&1)
	if [ -z "$help" ]; then
		echo "FAIL: $prog --help printed nothing"
		return 1
	fi
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
		if ! grep -Eq "^\.Sh \"?$s\"?[[:space:]]*$" "$page"; then
			echo "FAIL: $name has no $s section"
			bad=1
		fi
	done
	doc=$(page_options "$page")
	help=$(help_options <<<"$help")
	while read -r s; do
		[ -n "$s" ] || continue
		echo "FAIL: $s is in \`$(basename "$prog") --help\` but not in $name's OPTIONS"
		bad=1
	done < <(comm -23 <(printf '%s\n' "$help") <(printf '%s\n' "$doc"))
	while read -r s; do
		[ -n "$s" ] || continue
		echo "FAIL: $s is in $name's OPTIONS but not in \`$(basename "$prog") --help\`"
		bad=1
	done < <(comm -13 <(printf '%s\n' "$help") <(printf '%s\n' "$doc"))
	if [ "$bad" = 0 ]; then
		echo "ok: $name documents the $(grep -c . <<<"$help") option(s) of $(basename "$prog") --help${help:+: $(tr '\n' ' ' <<<"$help")}"
	fi
	return "$bad"
}

page_of()
{
	local mandir=$1 name

	name=$(basename "$2")
	for s in 1 8; do
		if [ -f "$mandir/$name.$s" ]; then
			echo "$mandir/$name.$s"
			return 0
		fi
	done
	echo "FAIL: no man page $mandir/$name.1 or .8 for $2" >&2
	return 1
}

selftest()
{
	local mandir=$1 prog=$2 page tmp out rc=0

	page=$(page_of "$mandir" "$prog") || return 1
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # $tmp is meant to expand now
	trap "rm -rf '$tmp'" EXIT

	# 1. A program whose --help has one option more than its page: a
	#    wrapper that prints the real help with a line added after the
	#    first option line (at the end if it lists none).
	cat >"$tmp/$(basename "$prog")" <<EOF
#!/usr/bin/env bash
'$prog' --help 2>&1 | awk '
	{ print }
	!done && /^  *-/ { print "      --frobnicate N   a new option"; done = 1 }
	END { if (!done) print "      --frobnicate N   a new option" }'
EOF
	chmod +x "$tmp/$(basename "$prog")"
	if out=$(check "$tmp/$(basename "$prog")" "$page"); then
		echo "FAIL: an option added to --help only was not noticed"
		rc=1
	elif ! grep -q -- '--frobnicate is in .* --help. but not in' <<<"$out"; then
		echo "FAIL: the option added to --help was not named: $out"
		rc=1
	else
		echo "ok: an option in --help only fails the check: $out"
	fi

	# 2. A page with one option more than --help.
	awk '{ print } /^\.Sh OPTIONS/ { getline; print; print ".It Fl \\-obsolete\nGone."; }' \
		"$page" >"$tmp/$(basename "$page")"
	if out=$(check "$prog" "$tmp/$(basename "$page")"); then
		echo "FAIL: an option added to the page only was not noticed"
		rc=1
	elif ! grep -q -- '--obsolete is in .* OPTIONS but not in' <<<"$out"; then
		echo "FAIL: the option added to the page was not named: $out"
		rc=1
	else
		echo "ok: an option on the page only fails the check: $out"
	fi

	# 3. The real pair passes.
	check "$prog" "$page" || rc=1
	return "$rc"
}

if [ "${1:-}" = --selftest ]; then
	[ $# -eq 3 ] || { echo "usage: $0 --selftest MANDIR PROGRAM" >&2; exit 2; }
	selftest "$2" "$3"
	exit
fi
[ $# -ge 2 ] || { echo "usage: $0 MANDIR PROGRAM..." >&2; exit 2; }
mandir=$1
shift
rc=0
for prog in "$@"; do
	page=$(page_of "$mandir" "$prog") || { rc=1; continue; }
	check "$prog" "$page" || rc=1
done
exit "$rc"
