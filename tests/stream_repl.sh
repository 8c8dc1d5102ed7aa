#!/bin/sh
# Streaming queries in the interactive REPL on a real terminal (tmux): while
# q:await runs, the REPL shows a live "streaming" line with each running
# query's batches, rows/s and lag, updated as batches complete;
# stream.active() lists the running queries until they stop.  With two
# queries running, each has a row of its own (a block redrawn in place),
# which is kept, finished, when they stop and when Ctrl-C interrupts.
. "$top_srcdir/tests/tap.sh"

if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi

unset TMUX # run from inside tmux too
sock=lualab-stream-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$tap_tmp"' EXIT
# Seconds to wait for the screen (sanitizer builds are slow).
wait_s=${LUALAB_TEST_WAIT:-20}
screen() { tm capture-pane -p -S -200 -t s; }
# wait_for PATTERN: poll the screen until grep -E finds PATTERN
wait_for() {
    i=0
    while [ $i -lt $((wait_s * 20)) ]; do
        screen | grep -Eq -- "$1" && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}
type() { tm send-keys -t s -l "$1" && tm send-keys -t s Enter; }

# four files of 3 rows; one file per batch, a batch every 0.6 s
mkdir -p "$tap_tmp/in" "$tap_tmp/a" "$tap_tmp/b"
for f in 1 2 3 4; do
    printf 'id,x\n%d,1\n%d,2\n%d,3\n' "$f" "$f" "$f" > "$tap_tmp/in/p$f.csv"
done
# for two queries at once: 2 files in a/, 5 in b/
for f in 1 2; do printf 'id,x\n%d,1\n' "$f" > "$tap_tmp/a/p$f.csv"; done
for f in 1 2 3 4 5; do printf 'id,x\n%d,1\n' "$f" > "$tap_tmp/b/p$f.csv"; done
mkdir -p "$tap_tmp/e" "$tap_tmp/f"
for f in 1 2 3; do
    printf 'id,x\n%d,1\n' "$f" > "$tap_tmp/e/p$f.csv"
    printf 'id,x\n%d,1\n' "$f" > "$tap_tmp/f/p$f.csv"
done
# wait_both P1 P2: one screen matching both patterns
wait_both() {
    i=0
    while [ $i -lt $((wait_s * 20)) ]; do
        s=$(screen)
        printf '%s\n' "$s" | grep -Eq -- "$1" &&
            printf '%s\n' "$s" | grep -Eq -- "$2" && return 0
        sleep 0.05
        i=$((i + 1))
    done
    printf '%s\n' "$s" | sed 's/^/#   | /'
    return 1
}
tm new-session -d -s s -x 110 -y 30 -c "$tap_tmp" \
    "LUALAB_HISTORY='$tap_tmp/history' TERM=screen '$LUALAB'; echo \$? > '$tap_tmp/rc'; sleep 30"
wait_for "^> ?$"
ok $? "the REPL starts"

type 'q = stream.read{source = "files", path = "in", max_files_per_trigger = 1}:write{sink = "memory", name = "live", trigger = {processing_time = 0.6}}'
type '=#stream.active()'
wait_for '^1$'
ok $? "stream.active() lists the started query"
type 'q:await{timeout = 4}'
wait_for '^streaming .*live: 1 batch, [0-9]+ rows/s, lag 3$'
ok $? "the live line shows the first batch, its rows/s and a lag of 3 files"
wait_for '^streaming .*live: 4 batches, [0-9]+ rows/s, lag 0$'
ok $? "the same line counts up to 4 batches as they complete, lag 0"
wait_for '^false$'
ok $? "await returns false at its timeout"
type '=#stream.table("live")'
wait_for '^12$'
ok $? "the memory table holds the 12 rows"
type 'q:stop() print("active " .. #stream.active())'
wait_for '^active 0$'
ok $? "stopped, the query leaves stream.active()"
tm send-keys -t s C-l
type 'a = stream.read{source = "files", path = "a", max_files_per_trigger = 1}:write{sink = "memory", name = "qa", trigger = {processing_time = 0.5}}'
type 'b = stream.read{source = "files", path = "b", max_files_per_trigger = 1}:write{sink = "memory", name = "qb", trigger = {processing_time = 0.5}}'
type 'print("active " .. #stream.active())'
wait_for '^active 2$'
ok $? "stream.active() lists both queries"
type 'b:await{timeout = 3}'
wait_both '^streaming  [0-9]+ batch .*  qa: 1 batch, [0-9]+ rows/s, lag 1$' \
    '^  qb: 1 batch, [0-9]+ rows/s, lag 4$'
ok $? "two queries: a row each, at once, with their own batches and lag"
wait_both '^streaming  [0-9]+ batch .*  qa: 2 batches, [0-9]+ rows/s, lag 0$' \
    '^  qb: [3-4] batches, [0-9]+ rows/s, lag [1-2]$'
ok $? "both rows count up in place: qa done, qb still going"
wait_for '^false$'
ok $? "await returns false at its timeout"
n=$(screen | grep -c 'qb: ')
is "$n" "1" "the block was redrawn in place: one qb row on the screen"
type 'a:stop() b:stop() print("ended " .. tostring(stream.await_all(1)) .. " " .. #stream.active())'
wait_for '^ended true 0$'
ok $? "stopped, both leave stream.active()"
after=$(screen | sed -n '/a:stop()/,$p')
printf '%s\n' "$after" | grep -Eq '^streaming  [0-9]+ batch .*  qa: 2 batches' &&
    printf '%s\n' "$after" | grep -Eq '^  qb: [0-9]+ batches'
ok $? "the finished block stays above the output"
tm send-keys -t s C-l
type 'c = stream.read{source = "rate", rows_per_second = 100}:write{sink = "memory", name = "qc", trigger = {processing_time = 0.2}}'
type 'd = stream.read{source = "rate", rows_per_second = 50}:write{sink = "memory", name = "qd", trigger = {processing_time = 0.3}}'
type 'd:await()'
wait_both '^streaming  [0-9]+ batch .*  qc: [2-9][0-9]* batches' '^  qd: [2-9][0-9]* batches'
ok $? "two rate queries: a row each"
tm send-keys -t s C-c
wait_for 'interrupted'
ok $? "Ctrl-C interrupts the await"
type 'print("after " .. #stream.active())'
wait_for '^after 2$'
ok $? "the REPL is usable after Ctrl-C, both queries still listed"
is "$(screen | grep -c '^  qd: ')" "1" "Ctrl-C left the block once, not redrawn below"
type 'c:stop() d:stop()'
# output in the middle of the block erases all its rows; it comes back below
tm send-keys -t s C-l
type 'e = stream.read{source = "files", path = "e", max_files_per_trigger = 1}:write{sink = "memory", name = "qe", trigger = {processing_time = 0.5}}'
type 'f = stream.read{source = "files", path = "f", max_files_per_trigger = 1}:write{sink = function(batch, id) print("batch " .. id) end, name = "qf", trigger = {processing_time = 0.7}}'
type 'f:await{timeout = 2.5}'
i=0
while [ $i -lt $((wait_s * 20)) ]; do
    after=$(screen | sed -n '/f:await/,$p' | grep -v '^$')
    printf '%s\n' "$after" | grep -q '^false$' && break
    sleep 0.05
    i=$((i + 1))
done
printf '%s\n' "$after" | grep -q '^false$'
ok $? "a query printing from its sink: await returns at its timeout"
is "$(printf '%s\n' "$after" | grep -c '^  qf: ')" "1" "printed output erased the block's rows: one qf row left"
is "$(printf '%s\n' "$after" | grep -Ec '^batch [0-2]$')" "3" "the three printed lines are all there"
is "$(printf '%s\n' "$after" | grep -E '^(batch [0-9]|streaming |  q[ef]: )' | sed -E -n '{s/  [0-9.]+ (batch\/s|s\/batch)  00:0[0-9]  /  /;s/, [0-9]+ rows\/s//;p}')" \
    "batch 0
batch 1
batch 2
streaming  6 batch  qe: 3 batches, lag 0
  qf: 3 batches, lag 0" "the block is drawn again below the printed lines"
type 'e:stop() f:stop()'
tm send-keys -t s C-d
i=0
while [ $i -lt $((wait_s * 10)) ] && [ ! -s "$tap_tmp/rc" ]; do
    sleep 0.1
    i=$((i + 1))
done
is "$(cat "$tap_tmp/rc" 2>/dev/null)" "0" "Ctrl-D leaves the REPL with status 0"
done_testing
