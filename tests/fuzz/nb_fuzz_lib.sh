# Shared by run_fuzz_nb_{percent,ipynb,md}.sh: a bounded libFuzzer run of
# one notebook reader (built with --enable-fuzzing), seeded with the lab's
# notebooks in that format (converted by lualab itself) and a few small
# notebooks.  FUZZ_SECONDS (default 20) bounds it.
#   fuzz_nb FORMAT EXT
. "$top_srcdir/tests/tap.sh"
fuzz_nb() {
    name=fuzz_nb_$1
    corpus="$top_builddir/tests/fuzz/corpus_nb_$1"
    mkdir -p "$corpus"
    for f in "$top_srcdir"/notebooks/*.lua; do
        [ -f "$f" ] || continue
        "$LUALAB" convert "$f" "$corpus/$(basename "$f" .lua).$2" 2>/dev/null
    done
    printf -- '-- %%%%\nx = 1\n\n-- %%%% [markdown]\n-- # T\n' > "$tap_tmp/small.lua"
    printf -- '-- %%%% tags=["parameters"]\ns = [[\n```\n]]\n\n-- %%%% [raw]\n-- raw\n' > "$tap_tmp/fence.lua"
    for f in small fence; do
        "$LUALAB" convert "$tap_tmp/$f.lua" "$corpus/$f.$2" 2>/dev/null
    done
    "$top_builddir/tests/fuzz/$name" -max_total_time="${FUZZ_SECONDS:-20}" \
        -rss_limit_mb=1024 -max_len=65536 "$corpus" \
        > "$top_builddir/tests/fuzz/$name.out" 2>&1
    rc=$?
    ok $([ $rc -eq 0 ] && echo 0 || echo 1) "$name ran ${FUZZ_SECONDS:-20}s without a crash, sanitizer report or broken round trip"
    [ $rc -eq 0 ] || grep -A20 -E 'round trip|ERROR|SUMMARY' "$top_builddir/tests/fuzz/$name.out" | head -40 | sed 's/^/# /'
    done_testing
}
