# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/copy.sh - a study, not the results of record: ours alone with
# copy=cache, copy=stream and copy=auto in each round, 64 and 1500 bytes both
# ways (docs/PERFORMANCE.md, "The copy"); uses ours_pair (cases/fe2be.sh).
# Asked for alone, its lines go to bench/results/copy.txt.

# copy_modes DIR LEN: RUNS rounds of ours with copy=cache, copy=stream and
# copy=auto (the default), each value with its @c2c: how much each way of
# copying gives in each vCPU placement, and whether auto finds the better.
copy_modes()
{
	local dir=$1 len=$2 i m v line
	local -A got=()

	note "copy $dir-$len: $RUNS x (cache, stream, auto), ${SECS} s each"
	for i in $(seq "$RUNS"); do
		line=
		for m in cache stream auto; do
			TX_OPTS=",copy=$m"
			measure ours_pair "$dir" "$len" "copy-$dir-$len-$m$i"
			# shellcheck disable=SC2034 # read by ours_pair (cases/fe2be.sh)
			TX_OPTS=
			v=$R$A
			got[$m]="${got[$m]:-} $v"
			line="$line $m $v"
		done
		note "  run $i (Mpps@c2c ns):$line"
	done
	for m in cache stream auto; do
		# One value a round, words on purpose.
		# shellcheck disable=SC2086
		runs "copy-$dir-$len $m" ${got[$m]}
	done
}

case_copy()
{
	local d

	for d in be2fe fe2be; do
		copy_modes $d 64
		copy_modes $d 1500
	done
}

bench_case copy case_copy study "ours alone with copy=cache, stream and auto, 64 and 1500 bytes both ways"
