#!/bin/sh
# Curses notebook speed: time to the first screen for a 1,000-cell
# notebook, and the time from an edit-mode keystroke to the redrawn frame
# with large outputs on screen.  lualab measures itself: with
# LUALAB_UI_TIMING=FILE it appends "first-screen MS", "frame MS" and
# "key MS" lines.  There is no peer program for a terminal UI; the targets
# are the issue's (100 ms, 16 ms).
#   usage: bench/ui/bench.sh [path/to/lualab]    (needs tmux and python3)
set -eu
LUALAB=$(cd "$(dirname "${1:-./lualab}")" && pwd)/$(basename "${1:-./lualab}")
work=$(mktemp -d)
sock="lualab-ui-bench-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
stop() {
    tm kill-server >/dev/null 2>&1 || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
}
trap 'stop; rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import json, sys
def notebook(path, out_lines, big_cell):
    cells = []
    for i in range(1000):
        if i % 10 == 0:
            cells.append({"cell_type": "markdown", "id": "m%d" % i, "metadata": {},
                          "source": ["## Section %d\n" % i, "Some **bold** text, `code` and a [link](http://x).\n", "- a\n", "- b"]})
            continue
        lines = big_cell if i == 1 else out_lines
        out = "".join("row %d of cell %d: %s\n" % (r, i, "x" * 50) for r in range(lines))
        cells.append({"cell_type": "code", "id": "c%d" % i, "metadata": {},
                      "execution_count": i, "outputs": [
                          {"output_type": "stream", "name": "stdout", "text": [out]}] if lines else [],
                      "source": ["local t = {}\n", "for k = 1, %d do\n" % i,
                                 "    t[k] = k * 2  -- comment\n", "end\n", "print(#t)"]})
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    json.dump(nb, open(path, "w"))
    return cells
cells = notebook(sys.argv[1] + "/small.ipynb", 5, 5)
notebook(sys.argv[1] + "/big.ipynb", 40, 2000)
with open(sys.argv[1] + "/nb.lua", "w") as f:
    for c in cells:
        f.write("-- %% [markdown]\n" + "".join("-- " + l for l in "".join(c["source"]).splitlines(True)) + "\n\n"
                if c["cell_type"] == "markdown" else "-- %%\n" + "".join(c["source"]) + "\n\n")
PY

n_session=0
start() { # cols rows timing-file [notebook]
    stop
    n_session=$((n_session + 1))
    sock="lualab-ui-bench-$$-$n_session"
    tm new-session -d -x "$1" -y "$2" \
        "cd '$work' && env LC_ALL=C.UTF-8 TERM=tmux-256color LUALAB_UI_TIMING='$3' '$LUALAB' ${4:-big.ipynb}; sleep 30"
}
wait_line() { # file pattern
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
stats() { # numbers on stdin -> "median p95 max"
    sort -n | awk '{v[NR]=$1} END {m=v[int((NR+1)/2)]; p=v[int(NR*0.95+0.5)]; printf "%.2f %.2f %.2f", m, p, v[NR]}'
}

for book in nb.lua small.ipynb big.ipynb; do
  for size in "80 24" "200 60"; do
    : > "$work/first.txt"
    for r in 1 2 3 4 5; do
        f="$work/t-first-$book-${size% *}-$r"
        start $size "$f" "$book"
        wait_line "$f" first-screen
        awk '/^first-screen/ {print $2}' "$f" >> "$work/first.txt"
        [ $r -eq 1 ] && read_ms=$(awk '/^read/ {print $2}' "$f")
    done
    set -- $(stats < "$work/first.txt")
    echo "first screen, $book ($(du -k "$work/$book" | cut -f1) kB, 1000 cells), ${size% *}x${size#* }: median $1 ms  p95 $2  max $3; of which reading the file ${read_ms} ms (run 1) (target < 100 ms, 5 runs)"
  done
done

# Keystrokes: edit cell 2, whose 2,000-row output is expanded below it.
f="$work/t-keys"
start 100 30 "$f"
wait_line "$f" first-screen
tm send-keys j o
sleep 0.3
tm send-keys Enter
sleep 0.3
: > "$f"
for k in $(seq 1 60); do
    tm send-keys -l "a"
    sleep 0.03
done
tm send-keys BSpace Left Left Right Up Down End Home
sleep 0.3
n=$(grep -c '^key' "$f" || true)
set -- $(awk '/^key/ {print $2}' "$f" | stats)
echo "edit-mode keystroke -> frame, 2000-row output expanded on screen, 100x30: median $1 ms  p95 $2  max $3 ($n keys; target < 16 ms)"
