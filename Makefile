# Makefile - the project's front door. The build itself is meson's (in
# ./build); these targets only give it short names, and each installs what
# it needs first through scripts/setup.sh, so they work on a fresh Debian 12.
#
#   make            build ./build (gcc, debugoptimized, -Werror)
#   make test       every configuration and suite; ends "N passed, N failed"
#   make demo       the demo (scripts/demo.sh)
#   make bench      the benchmarks (bench/run.sh)
#   make fuzz       the fuzzers for FUZZ_SECS seconds each (default 300)
#   make format     clang-format -i every .c/.h; format-check only checks
#   make install    meson install from ./build (DESTDIR is honoured)
#   make clean      remove the build dirs this Makefile makes

FUZZ_SECS ?= 300
BUILD_DIRS := build build-asan build-fuzz

.PHONY: all setup test demo bench fuzz format format-check clean install

all: setup
	bash scripts/lib.sh build build

setup:
	bash scripts/setup.sh

# test.sh does its own setup and builds.
test:
	bash scripts/test.sh

demo: all
	bash scripts/demo.sh

bench: all
	@if [ -f bench/run.sh ]; then \
		bash bench/run.sh; \
	else \
		echo "bench/run.sh does not exist yet" >&2; exit 1; \
	fi

# Longer runs than the 20 s smoke test; new inputs go to the build dir's
# corpus (build-fuzz/fuzz/corpus/NAME), which later runs start from.
fuzz: setup
	bash scripts/lib.sh build build-fuzz
	PB_FUZZ_SECS=$(FUZZ_SECS) meson test -C build-fuzz --no-rebuild --suite fuzz \
		--timeout-multiplier 0 --print-errorlogs

# Tracked and new (not ignored) C files, so build dirs are never touched.
C_FILES = bash scripts/lib.sh c-files

format: setup
	$(C_FILES) | xargs -0 -r clang-format -i

format-check: setup
	$(C_FILES) | xargs -0 -r clang-format --dry-run --Werror

install: all
	meson install -C build

clean:
	rm -rf $(BUILD_DIRS)
