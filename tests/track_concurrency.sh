#!/bin/sh
# 8 processes log to one tracking database while a 9th registers model
# versions; nothing may be lost and versions must be 1..N without gaps.
. "$top_srcdir/tests/tap.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="$dir/conc.db"
worker="$top_srcdir/tests/track/conc_worker.lua"
versions=40
pids=""
for w in 1 2 3 4 5 6 7 8; do
    timeout 120 "$LUALAB" --lua "$worker" "$db" "$w" 500 >"$dir/w$w.log" 2>&1 &
    pids="$pids $!"
done
timeout 120 "$LUALAB" --lua "$worker" "$db" register $versions >"$dir/reg.log" 2>&1 &
pids="$pids $!"
failed=0
for p in $pids; do
    wait "$p" || failed=$((failed + 1))
done
is "$failed" "0" "all 9 processes exit 0"
[ "$failed" -eq 0 ] || grep -hv "^mlflow:" "$dir"/*.log | sed "s/^/# /" | head -20

cat >"$dir/check.lua" <<LUA
mlflow.set_tracking_uri("sqlite:///$db")
local s = mlflow._store()
local rows = mlflow.search_runs { experiment_names = { "conc" }, filter = "attributes.run_name LIKE 'worker-%'" }
print("runs " .. #rows)
local bad = 0
for i = 1, #rows do
    local r = rows[i]
    if s:count("metrics", r.run_id) ~= 500 or s:count("params", r.run_id) ~= 20 then bad = bad + 1 end
    if r.status ~= "FINISHED" then bad = bad + 1 end
end
print("bad " .. bad)
print("metrics " .. s:count("metrics"))
local vs = mlflow.search_model_versions("conc-model")
local gaps = 0
for i, v in ipairs(vs) do if v.version ~= i then gaps = gaps + 1 end end
print("versions " .. #vs .. " gaps " .. gaps)
LUA
out=$("$LUALAB" --lua "$dir/check.lua" 2>&1)
like "$out" "runs 8" "8 worker runs in one experiment"
like "$out" "bad 0" "every run has 500 points, 20 params, FINISHED"
like "$out" "metrics 4000" "4000 metric points in total"
like "$out" "versions $versions gaps 0" "versions 1..$versions without gaps"
done_testing
