#!/bin/sh
# Progress reported by a cell is drawn on stderr by --run, and not with --quiet.
. "$top_srcdir/tests/tap.sh"

cat > "$tap_tmp/p.lua" <<'NB'
-- %%
for i = 1, 4 do lualab.progress{label = "Epoch", done = i, total = 4, metrics = {loss = 1 / i}} end
print("done")
NB
LUALAB_ASCII=1 "$LUALAB" --run "$tap_tmp/p.lua" >"$tap_tmp/out" 2>"$tap_tmp/err"
is "$(cat "$tap_tmp/out")" "done" "stdout holds only the cell's output"
like "$(head -1 "$tap_tmp/err")" "^Epoch +100% \|#+\| 4/4 .* loss 0\.25$" "the finished bar is one line on stderr"
is "$(grep -c "%" "$tap_tmp/err")" "1" "not a tty: no line per update"
"$LUALAB" --run "$tap_tmp/p.lua" --quiet >/dev/null 2>"$tap_tmp/err"
is "$(cat "$tap_tmp/err")" "" "--quiet draws nothing"
done_testing
