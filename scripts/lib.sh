# shellcheck shell=bash
# lib.sh - helpers shared by the project's scripts and the Makefile: the
# build configurations and how to (re)configure and build one of them.
#
# Sourced (". scripts/lib.sh") by scripts/test.sh; run by the Makefile as
#   bash scripts/lib.sh build NAME     configure (if needed) and build NAME
#   bash scripts/lib.sh c-files        list the C files (NUL-separated)
# where NAME is one of the configurations below.

# The configurations every run of `make test` builds: name, compiler, options.
# -Db_lundef=false: with sanitizers the shared library has undefined
# references to the sanitizer runtime, which only the executables link.
pb_config_cc() {
	case "$1" in
	build | build-asan) echo gcc ;;
	build-fuzz) echo clang ;;
	*) return 1 ;;
	esac
}

pb_config_opts() {
	local common="-Dbuildtype=debugoptimized -Dwerror=true"
	# UBSan only prints a finding and carries on unless told not to recover.
	local san="-Db_sanitize=address,undefined -Db_lundef=false"
	san+=" -Dc_args=-fno-sanitize-recover=undefined"
	case "$1" in
	build) echo "$common" ;;
	build-asan) echo "$common $san" ;;
	build-fuzz) echo "$common $san -Dfuzz=true -Dtests=false" ;;
	*) return 1 ;;
	esac
}

pb_log() { printf '==> %s\n' "$*"; }

# The id of the C compiler meson found for build dir $1 ("gcc", "clang"),
# or "". From its log ("C compiler for the host machine: cc (gcc 12.2.0"),
# since `meson introspect --compilers` needs meson >= 1.1.
pb_dir_cc() {
	sed -n 's/^C compiler for the host machine: [^(]*(\([a-z]*\).*/\1/p' \
		"$1/meson-logs/meson-log.txt" 2>/dev/null | tail -n 1
}

# pb_configure DIR CC [meson options...]
# Configure DIR with compiler CC, reusing it when it is already configured
# with that compiler (meson setup --reconfigure applies the options). A dir
# that is half made, made with another compiler, or whose reconfiguration
# fails (say, a meson upgrade) is wiped and set up afresh: a stale build dir
# must never be what fails a run.
pb_configure() {
	local dir=$1 cc=$2 log
	shift 2
	if [ -f "$dir/meson-private/coredata.dat" ] && [ "$(pb_dir_cc "$dir")" = "$cc" ]; then
		log=$(mktemp)
		if meson setup --reconfigure "$dir" "$@" >"$log" 2>&1; then
			rm -f "$log"
			return 0
		fi
		pb_log "reconfiguring $dir failed; wiping it and configuring afresh"
		tail -n 20 "$log" || true
		rm -f "$log"
	fi
	if [ -e "$dir" ]; then
		pb_log "$dir is not a usable $cc build dir; wiping it"
	fi
	rm -rf "$dir"
	CC=$cc meson setup "$dir" "$@"
}

# pb_build NAME: configure and build configuration NAME in the dir NAME.
pb_build() {
	local name=$1 cc opts
	cc=$(pb_config_cc "$name") || {
		echo "unknown build configuration '$name'" >&2
		return 2
	}
	opts=$(pb_config_opts "$name")
	pb_log "configure $name ($cc $opts)"
	# shellcheck disable=SC2086 # opts is a list of words on purpose
	pb_configure "$name" "$cc" $opts || return 1
	pb_log "build $name"
	meson compile -C "$name"
}

# The C sources to format: tracked and new (not ignored) .c/.h files that
# exist, NUL-separated, so build dirs and deleted files are never touched.
pb_c_files() {
	local f
	git ls-files -z --cached --others --exclude-standard -- '*.c' '*.h' |
		while IFS= read -r -d '' f; do
			[ -f "$f" ] && printf '%s\0' "$f"
		done
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	cd "$(dirname "$0")/.."
	case "${1:-}" in
	build) pb_build "${2:-build}" ;;
	c-files) pb_c_files ;;
	*)
		echo "usage: $0 build [build|build-asan|build-fuzz] | c-files" >&2
		exit 2
		;;
	esac
fi
