#!/bin/sh
# Updatable displays (lualab.display(x, {update = true}) and h:update(y)):
# a saved notebook keeps only the final version (nbformat has no display
# ids: Jupyter stores an update_display_data as the display_data it
# replaced), nbconvert reads it, output that is not a terminal gets the
# final version once, a terminal redraws it in place, and a handle dies
# with its cell.
. "$top_srcdir/tests/tap.sh"

validate() {
    /usr/bin/python3 -c 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))' "$1" 2>&1
}

cat > "$tap_tmp/upd.lua" <<'NB'
-- %%
H = lualab.display("version 1", {update = true})
print("between")
H:update("version 2")
H:update("final version")
print(H.id, H.live)

-- %%
print(select(2, pcall(H.update, H, "late")))
NB
"$LUALAB" --run "$tap_tmp/upd.lua" -o "$tap_tmp/upd.ipynb" --quiet >"$tap_tmp/out" 2>"$tap_tmp/err"
is "$?" 0 "a notebook with an updated display runs"
is "$(cat "$tap_tmp/out")" "between
ll-1	false
final version
update: display ll-1 belongs to a cell that has ended; show a new one with lualab.display(x, {update = true})" \
    "--run prints the final version once, after the cell, and a late update fails"
outs=$(/usr/bin/python3 - "$tap_tmp/upd.ipynb" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
for o in nb["cells"][0]["outputs"]:
    print(o["output_type"], repr("".join(o.get("data", {}).get("text/plain", o.get("text", "")))),
          sorted(o.keys()))
PY
)
is "$outs" "display_data 'final version' ['data', 'metadata', 'output_type']
stream 'between\\nll-1\\tfalse\\n' ['name', 'output_type', 'text']" \
    "the ipynb keeps one display_data, in its first place, with the final version"
is "$(validate "$tap_tmp/upd.ipynb")" "" "the notebook validates against nbformat's schema"
if /usr/bin/python3 -c 'import nbconvert' 2>/dev/null; then
    (cd "$tap_tmp" && /usr/bin/python3 -m nbconvert --to markdown upd.ipynb >conv.log 2>&1)
    is "$?" 0 "nbconvert reads the notebook"
    is "$(grep -c '^    final version$' "$tap_tmp/upd.md")" 1 "nbconvert shows the final version"
    is "$(grep -c '^    version [12]$' "$tap_tmp/upd.md")" 0 "and none of the earlier ones"
fi

# Not a terminal: -e and the REPL print the final version when the chunk ends.
is "$("$LUALAB" -e 'local h = lualab.display("a", {update = true}); print("mid"); h:update("b")')" "mid
b" "-e prints the final version once"
is "$(printf 'local h = lualab.display("a", {update = true}); print("mid"); h:update("b")\n' | "$LUALAB")" "mid
b" "a piped REPL prints the final version once"

# A terminal redraws the display in place.
if command -v tmux >/dev/null 2>&1; then
    unset TMUX
    sock=lualab-display-$$
    tm() { tmux -L "$sock" -f /dev/null "$@"; }
    trap 'tm kill-server 2>/dev/null; rm -rf "$tap_tmp"' EXIT
    cat > "$tap_tmp/term.lua" <<'EOF2'
local h = lualab.display("step 1 of 3\nrows: 1", {update = true})
for i = 2, 3 do
    local t = os.clock() + 0.2
    while os.clock() < t do end
    h:update(("step %d of 3\nrows: %s"):format(i, ("x"):rep(i)))
end
io.write("done ", tostring(h.live), "\n")
EOF2
    tm new-session -d -x 80 -y 20 "cd '$tap_tmp' && TERM=screen '$LUALAB' --lua term.lua; echo EXIT=\$?; sleep 30"
    n=0
    # 60 s at most: on a loaded machine lualab may get little CPU
    while [ $n -lt 600 ] && ! tm capture-pane -p | grep -q EXIT=; do sleep 0.1; n=$((n + 1)); done
    scr=$(tm capture-pane -p | sed '/^$/d')
    is "$scr" "step 3 of 3
rows: xxx
done true
EXIT=0" "a terminal shows only the final version, drawn over the earlier ones"
    tm kill-server 2>/dev/null
fi
done_testing
