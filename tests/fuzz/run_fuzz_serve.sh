#!/bin/sh
# A bounded libFuzzer run of the scoring server's request parser (built
# with --enable-fuzzing), seeded with request bodies.  FUZZ_SECONDS
# (default 20) bounds it.
. "$top_srcdir/tests/tap.sh"
corpus="${top_builddir}/tests/fuzz/corpus_serve"
mkdir -p "$corpus"
i=0
for body in \
    '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, null]]}}' \
    '{"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2.5e3}]}' \
    '{"instances": [[1, 2, 3], [4, 5, 6]]}' \
    '{"inputs": {"a": [1, 2], "b": [true, false]}}' \
    '{"Inputs": {"data": [{"a": 1}]}, "GlobalParameters": {}}' \
    '{"data": [{"Date": "2017-03-20T00:00:00.000Z", "Battery_ID": 0}], "quantiles": [0.1, 0.9]}'; do
    i=$((i + 1))
    { printf '\004'; printf '%s' "$body"; } > "$corpus/json$i"
done
{ printf '\001'; printf 'a,b\n1,2\n3,x\n'; } > "$corpus/csv1"
"$top_builddir/tests/fuzz/fuzz_serve" -max_total_time="${FUZZ_SECONDS:-20}" \
    -rss_limit_mb=1024 -max_len=16384 "$corpus" > "$top_builddir/tests/fuzz/fuzz_serve.out" 2>&1
rc=$?
ok $([ $rc -eq 0 ] && echo 0 || echo 1) "fuzz_serve ran ${FUZZ_SECONDS:-20}s without a crash or sanitizer report"
[ $rc -eq 0 ] || tail -n 40 "$top_builddir/tests/fuzz/fuzz_serve.out" | sed 's/^/# /'
done_testing
