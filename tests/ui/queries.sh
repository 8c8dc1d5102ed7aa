#!/bin/sh
# Streaming queries in the curses notebook: while a cell awaits them, each
# running query has a live row of its own above the status line (batches,
# rows/s, lag), all visible at once; the rows go away when the cell ends.
. "$top_srcdir/tests/ui/ui_lib.sh"

mkdir -p "$tap_tmp/a" "$tap_tmp/b"
for f in 1 2; do printf 'id,x\n%d,1\n' "$f" > "$tap_tmp/a/p$f.csv"; done
for f in 1 2 3 4 5 6; do printf 'id,x\n%d,1\n' "$f" > "$tap_tmp/b/p$f.csv"; done
cat > "$tap_tmp/q.lua" <<'NB'
-- %%
a = stream.read{source = "files", path = "a", max_files_per_trigger = 1}
    :write{sink = "memory", name = "qa", trigger = {processing_time = 0.6}}
b = stream.read{source = "files", path = "b", max_files_per_trigger = 1}
    :write{sink = "memory", name = "qb", trigger = {processing_time = 0.6}}
b:await{timeout = 4}
a:stop() b:stop()
print("streams " .. #stream.table("qa") .. " " .. #stream.table("qb"))
NB

# both_rows P1 P2 SECONDS: one screen showing both patterns
both_rows() {
    _i=0
    while [ $_i -lt $(($3 * 20)) ]; do
        scr=$(screen)
        printf '%s\n' "$scr" | grep -Eq -- "$1" &&
            printf '%s\n' "$scr" | grep -Eq -- "$2" && return 0
        sleep 0.05
        _i=$((_i + 1))
    done
    printf '%s\n' "$scr" | sed 's/^/#   | /'
    return 1
}

ui_start q.lua 100 30
see 'kernel: idle' "the notebook opens"
keys C-e
both_rows '^ streaming  [0-9]+ batch .*  qa: 1 batch, [0-9]+ rows/s, lag 1 *$' \
    '^   qb: 1 batch, [0-9]+ rows/s, lag 5 *$' 10
ok $? "two queries: a row each above the status line, with their own batches"
both_rows '^ streaming  [0-9]+ batch .*  qa: 2 batches, [0-9]+ rows/s, lag 0 *$' \
    '^   qb: [3-5] batches, [0-9]+ rows/s, lag [1-3] *$' 10
ok $? "the rows count up: qa done, qb still going"
# the rows sit right above the status line (the last row)
rows=$(printf '%s\n' "$scr" | grep -n -E '^ streaming  |^   qb: ' | cut -d: -f1 | tr '\n' ' ')
is "$rows" "28 29 " "streaming row and qb row are the two rows above the status line"
see '│ streams 2 [4-6]' "the cell ends and prints the tables' sizes" 10
not_see 'qb: [0-9]+ batch' "the query rows go away when the cell ends"
not_see '^ streaming ' "the streaming row goes away too"
ui_stop
done_testing
