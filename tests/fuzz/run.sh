#!/bin/sh
# tests/fuzz/run.sh [SECONDS [TARGET...]] - build the libFuzzer targets
# (build.sh) and run each for SECONDS (default 30), NPROC at a time,
# from the committed seeds in tests/fuzz/corpus/TARGET plus what earlier
# runs found (kept in build/fuzz/corpus/TARGET).  Prints "  PASS: ..." or
# "  FAIL: ..." per target, as contrib/test.sh counts them, then the CPU
# time spent and the corpus size; exits non-zero on any finding (a crash,
# a sanitizer report, a leak, a broken invariant, a timeout or running
# out of memory).  A finding's input is kept in build/fuzz/artifacts;
# reproduce it with: build/fuzz/fuzz_TARGET build/fuzz/artifacts/FILE
set -u
here=$(cd "$(dirname "$0")" && pwd) || exit 1
top=$(cd "$here/../.." && pwd) || exit 1
dir=${FUZZ_DIR:-$top/build/fuzz}
seconds=${1:-30}
[ $# -gt 0 ] && shift
targets=$*
if [ -z "$targets" ]; then
	for src in "$here"/fuzz_*.c; do
		n=$(basename "$src" .c)
		targets="$targets ${n#fuzz_}"
	done
fi
case $seconds in
''|*[!0-9]*) echo "usage: run.sh [SECONDS [TARGET...]]" >&2; exit 2 ;;
esac

if ! out=$("$here/build.sh" "$dir" 2>&1); then
	printf '%s\n' "$out" | tail -n 30
	echo "  FAIL: fuzz: the targets did not build"
	exit 1
fi
mkdir -p "$dir/artifacts" "$dir/tmp" "$dir/logs" || exit 1

dict_of() {
	case $1 in
	config) echo "$here/config.dict" ;;
	policy) echo "$here/policy.dict" ;;
	users|skus|batch|token|scim) echo "$here/json.dict" ;;
	*) echo "" ;;
	esac
}

# One target: run it, then write its verdict to logs/TARGET.result.
run_one() {
	t=$1
	work=$dir/corpus/$t
	log=$dir/logs/$t.log
	mkdir -p "$work"
	rm -f "$dir/artifacts/$t-"*
	d=$(dict_of "$t")
	set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -malloc_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix="$dir/artifacts/$t-"
	[ -n "$d" ] && set -- "$@" -dict="$d"
	TMPDIR=$dir/tmp \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    "$dir/fuzz_$t" "$@" "$work" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	found=$(ls "$dir/artifacts/$t-"* 2>/dev/null | head -n 1)
	size=$(ls "$work" | wc -l)
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		echo "  PASS: fuzz $t (${execs:-0} inputs in ${seconds} s, corpus $size)"
	else
		grep -m 12 -E 'ERROR|SUMMARY|invariant|runtime error|#[0-9] ' \
		    "$log" | sed 's/^/    /'
		echo "  FAIL: fuzz $t: exit $rc${found:+, input kept in $found} (log $log)"
	fi >"$dir/logs/$t.result"
}

jobs=$(nproc 2>/dev/null || echo 2)
running=0
for t in $targets; do
	[ -x "$dir/fuzz_$t" ] || { echo "  FAIL: fuzz $t: no such target"; continue; }
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

status=0
for t in $targets; do
	[ -f "$dir/logs/$t.result" ] || { status=1; continue; }
	cat "$dir/logs/$t.result"
	grep -q '^  FAIL' "$dir/logs/$t.result" && status=1
	rm -f "$dir/logs/$t.result"
done
# CPU time of the fuzzers (this shell's children), and the corpus kept
times >"$dir/logs/times"
cpu=$(sed -n 2p "$dir/logs/times" | awk '{
	n = split($0, f, " "); s = 0
	for (i = 1; i <= n; i++) {
		split(f[i], p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2]
	}
	printf "%.0f", s }')
total=$(find "$dir/corpus" -type f | wc -l)
bytes=$(du -sk "$dir/corpus" | cut -f1)
echo "fuzz: ${cpu} s of CPU; corpus $total inputs, $bytes KiB"
exit $status
