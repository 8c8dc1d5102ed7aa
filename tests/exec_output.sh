#!/bin/sh
# A runaway print: fast, streamed in full, clipped in the saved notebook.
. "$top_srcdir/tests/tap.sh"

printf -- '-- %%%%\nfor i = 1, 400000 do print("line number", i) end\n' > "$tap_tmp/r.lua"
start=$(date +%s)
"$LUALAB" --run "$tap_tmp/r.lua" -o "$tap_tmp/r.ipynb" --quiet > "$tap_tmp/out"
ok $? "the notebook runs"
took=$(( $(date +%s) - start ))
ok $([ "$took" -lt 20 ]; echo $?) "400,000 prints take seconds, not minutes ($took s)"
is "$(wc -l < "$tap_tmp/out" | tr -d ' ')" "400000" "every line reaches stdout"
summary=$(/usr/bin/python3 - "$tap_tmp/r.ipynb" <<'PY'
import json, sys
outs = json.load(open(sys.argv[1]))["cells"][0]["outputs"]
kept = "".join(outs[0]["text"])
print(len(outs), len(kept), outs[0]["name"], outs[1]["name"], "".join(outs[1]["text"]).strip())
PY
)
total=$(wc -c < "$tap_tmp/out" | tr -d ' ')
is "$summary" "2 4194304 stdout stderr [output clipped: $((total - 4194304)) more bytes were not kept]" "the notebook keeps 4 MiB and a note"
done_testing
