#!/bin/sh
# A bounded libFuzzer run of the CSV reader (built with --enable-fuzzing),
# seeded with the CSV corpus.  FUZZ_SECONDS (default 20) bounds it.
. "$top_srcdir/tests/tap.sh"
corpus="${top_builddir}/tests/fuzz/corpus_csv"
mkdir -p "$corpus"
for f in "$top_srcdir"/tests/fixtures/csv/*.csv; do
    { printf '\000'; cat "$f"; } > "$corpus/$(basename "$f")"
done
"$top_builddir/tests/fuzz/fuzz_csv" -max_total_time="${FUZZ_SECONDS:-20}" \
    -rss_limit_mb=1024 -max_len=65536 "$corpus" > "$top_builddir/tests/fuzz/fuzz_csv.out" 2>&1
rc=$?
ok $([ $rc -eq 0 ] && echo 0 || echo 1) "fuzz_csv ran ${FUZZ_SECONDS:-20}s without a crash or sanitizer report"
done_testing
