#!/bin/sh
# A bounded libFuzzer run of the model loader (built with --enable-fuzzing):
# each input is MLmodel, config.json and weights.safetensors joined by the
# line "@@@@", seeded with the model fixtures.  FUZZ_SECONDS (default 20)
# bounds it.
. "$top_srcdir/tests/tap.sh"
corpus="${top_builddir}/tests/fuzz/corpus_model"
mkdir -p "$corpus"
for d in "$top_srcdir"/tests/fixtures/model/* "$top_srcdir"/tests/fixtures/nn_model/*; do
    [ -f "$d/MLmodel" ] && [ -f "$d/config.json" ] && [ -f "$d/weights.safetensors" ] || continue
    { cat "$d/MLmodel"; printf '\n@@@@\n'; cat "$d/config.json"
      printf '\n@@@@\n'; cat "$d/weights.safetensors"; } \
        > "$corpus/$(basename "$(dirname "$d")")_$(basename "$d")"
done
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" \
"$top_builddir/tests/fuzz/fuzz_model" -max_total_time="${FUZZ_SECONDS:-20}" \
    -rss_limit_mb=2048 -max_len=262144 -timeout=10 "$corpus" \
    > "$top_builddir/tests/fuzz/fuzz_model.out" 2>&1
rc=$?
rm -rf /tmp/ll_fuzz_model_*
ok $([ $rc -eq 0 ] && echo 0 || echo 1) "fuzz_model ran ${FUZZ_SECONDS:-20}s without a crash or sanitizer report"
done_testing
