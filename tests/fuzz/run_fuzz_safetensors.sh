#!/bin/sh
# A bounded libFuzzer run of the safetensors reader (built with
# --enable-fuzzing), seeded with the nn and model fixtures' weight files.
# FUZZ_SECONDS (default 20) bounds it.
. "$top_srcdir/tests/tap.sh"
corpus="${top_builddir}/tests/fuzz/corpus_safetensors"
mkdir -p "$corpus"
for f in "$top_srcdir"/tests/fixtures/nn/*.safetensors \
         "$top_srcdir"/tests/fixtures/model/*/weights.safetensors; do
    [ -s "$f" ] || continue
    cp "$f" "$corpus/$(echo "$f" | sed 's|.*/fixtures/||; s|/|_|g')"
done
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" \
"$top_builddir/tests/fuzz/fuzz_safetensors" -max_total_time="${FUZZ_SECONDS:-20}" \
    -rss_limit_mb=2048 -max_len=65536 "$corpus" \
    > "$top_builddir/tests/fuzz/fuzz_safetensors.out" 2>&1
rc=$?
ok $([ $rc -eq 0 ] && echo 0 || echo 1) "fuzz_safetensors ran ${FUZZ_SECONDS:-20}s without a crash or sanitizer report"
done_testing
