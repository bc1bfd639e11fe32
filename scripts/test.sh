#!/usr/bin/env bash
# test.sh - everything `make test` (and so CI) runs: install what is missing,
# build the three configurations, run their test suites, and end with one
# line "N passed, N failed" counted over all of them.
#
#   build       gcc, debugoptimized, -Werror     all suites but fuzz/perf
#   build-asan  gcc, ASan + UBSan                suites unit, panel-asan
#   build-fuzz  clang, libFuzzer, ASan + UBSan   suite fuzz (bounded smoke runs)
#
# A configuration that fails to configure or build counts as one failure and
# its tests are not run; the other configurations still are, so one broken
# build does not hide what else is broken. For every failed test the tail of
# its output is printed here, so a CI log explains the failure by itself.
# Exit status: 0 only when every build succeeded and every test passed.
#
# Environment: PB_FUZZ_SECS (seconds per fuzzer, default 20),
# PB_SUMMARY_FILE (if set, the final line is also written there),
# PB_TAIL_LINES (lines of output shown per failed test, default 80).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

passed=0
failed=0
skipped=0
problems=()
finished=0

# The last line of output, always: also when something below dies under
# set -e, which then counts as one more failure rather than a silent exit.
finish() {
	local rc=$?
	if [ "$finished" -eq 0 ]; then
		failed=$((failed + 1))
		problems+=("test.sh stopped early (exit status $rc)")
	fi
	echo
	if [ ${#problems[@]} -gt 0 ]; then
		echo "Problems:"
		printf '  %s\n' "${problems[@]}"
	fi
	[ "$skipped" -eq 0 ] || echo "($skipped skipped)"
	echo "$passed passed, $failed failed"
	if [ -n "${PB_SUMMARY_FILE:-}" ]; then
		echo "$passed passed, $failed failed" >"$PB_SUMMARY_FILE" || true
	fi
	if [ "$failed" -ne 0 ] && [ "$rc" -eq 0 ]; then
		exit 1
	fi
}
trap finish EXIT

# Sanitizers: make UBSan findings fatal (by default it only prints them, and
# the test passes) and give stack traces for both.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}

# The suites of build dir $1 that have at least one test, one per line,
# without the "project:" prefix meson puts on them.
suites_of() {
	meson introspect "$1" --tests | python3 -c '
import json, sys
suites = set()
for t in json.load(sys.stdin):
    for s in t.get("suite", []):
        suites.add(s.split(":", 1)[-1])
print("\n".join(sorted(suites)))'
}

# Count the results in meson's test log $1 (JSON, one test per line):
# prints "PASSED FAILED SKIPPED" on the last line, and before it the tail of
# the output of each failed test.
count_log() {
	python3 - "$1" "${PB_TAIL_LINES:-80}" <<'EOF'
import json, sys

log, tail = sys.argv[1], int(sys.argv[2])
ok = bad = skip = 0
try:
    lines = open(log, encoding="utf-8", errors="replace").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    r = t.get("result", "ERROR")
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r == "SKIP":
        skip += 1
    else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT
        bad += 1
        print(f"\n----- {r}: {t.get('name')} (exit status {t.get('returncode')}, "
              f"{t.get('duration', 0):.1f}s) -----")
        cmd = " ".join(t.get("command", []))
        print("command: " + (cmd if len(cmd) < 300 else cmd[:300] + " ..."))
        for stream in ("stdout", "stderr"):
            text = (t.get(stream) or "").splitlines()
            if text:
                if len(text) > tail:
                    print(f"[{stream}: last {tail} of {len(text)} lines]")
                else:
                    print(f"[{stream}]")
                print("\n".join(text[-tail:]))
        print(f"----- end of {t.get('name')} -----")
print(ok, bad, skip)
EOF
}

# run_suites DIR LABEL SUITE...: run those of the suites that DIR has, and
# add their results to the totals. meson's own failure (an exit status
# without a failed test in its log) counts as one failure.
run_suites() {
	local dir=$1 label=$2 have want=() s rc=0 out counts p f k
	shift 2
	have=$(suites_of "$dir") || {
		failed=$((failed + 1))
		problems+=("$dir: could not list its tests")
		return 0
	}
	for s in "$@"; do
		if grep -qx -- "$s" <<<"$have"; then
			want+=(--suite "$s")
		else
			pb_log "$dir: no tests in suite '$s' yet"
		fi
	done
	if [ ${#want[@]} -eq 0 ]; then
		return 0
	fi
	pb_log "test $dir: ${want[*]}"
	# Built just before, so --no-rebuild: a rebuild failure inside meson
	# test would otherwise be reported as a passing run of nothing.
	meson test -C "$dir" --no-rebuild --logbase "testlog-$label" "${want[@]}" </dev/null || rc=$?
	out=$(count_log "$dir/meson-logs/testlog-$label.json") || {
		failed=$((failed + 1))
		problems+=("$dir: could not read its test log")
		return 0
	}
	counts=$(tail -n 1 <<<"$out")
	# Everything but the counts line is failure output to show.
	if [ "$(wc -l <<<"$out")" -gt 1 ]; then
		sed '$d' <<<"$out"
	fi
	read -r p f k <<<"$counts"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
	[ "$f" -eq 0 ] || problems+=("$dir: $f test(s) failed (full log: $dir/meson-logs/testlog-$label.txt)")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
		problems+=("$dir: meson test exited with status $rc but logged no failed test")
	fi
}

# build_and_test NAME SUITE...: build configuration NAME, then run its suites.
build_and_test() {
	local name=$1
	shift
	if ! pb_build "$name"; then
		failed=$((failed + 1))
		problems+=("$name: configure or build failed (see the compiler output above)")
		return 0
	fi
	run_suites "$name" "$name" "$@"
}

pb_log "setup: checking packages"
if ! bash scripts/setup.sh; then
	failed=$((failed + 1))
	problems+=("scripts/setup.sh failed: cannot build without its packages")
	finished=1
	exit 1
fi

# All of build's suites except the ones that are not pass/fail tests here.
if ! pb_build build; then
	failed=$((failed + 1))
	problems+=("build: configure or build failed (see the compiler output above)")
else
	mapfile -t main_suites < <(suites_of build | grep -vxE 'fuzz|perf|bench' || true)
	if [ ${#main_suites[@]} -gt 0 ]; then
		run_suites build build "${main_suites[@]}"
	else
		pb_log "build: no tests defined"
	fi
fi
build_and_test build-asan unit panel-asan
build_and_test build-fuzz fuzz

finished=1
[ "$failed" -eq 0 ]
