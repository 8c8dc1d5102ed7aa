#!/bin/sh
# `lualab gen`: the data sets from the shell, and its usage errors.
. "$top_srcdir/tests/tap.sh"

"$LUALAB" gen daily-battery-time-series > "$tap_tmp/b.csv"
ok $? "gen writes the battery series to stdout"
is "$(wc -l < "$tap_tmp/b.csv" | tr -d ' ')" "1540" "1539 rows and a header"
is "$(sed -n 2p "$tap_tmp/b.csv" | cut -d, -f1-5)" "0,2013-01-01,0,0,5" "first row"
is "$(tail -1 "$tap_tmp/b.csv" | cut -d, -f1-4)" "1538,2017-03-19,0,1538" "last row"
is "$(awk -F, 'NR > 1 && $8 >= 200 { print $2; exit }' "$tap_tmp/b.csv")" \
    "2016-11-07" "lifetime cycles pass 200 on 2016-11-07"

"$LUALAB" gen connected-car-components --rows 10 --seed 3 --out "$tap_tmp/c.csv" 2>"$tap_tmp/err"
ok $? "gen --out"
is "$(cat "$tap_tmp/err")" "lualab gen: wrote 10 rows to $tap_tmp/c.csv" "gen reports what it wrote"
is "$(head -1 "$tap_tmp/c.csv")" "text,label" "components header"
is "$("$LUALAB" gen connected-car-components --rows 10 --seed 3 | cmp - "$tap_tmp/c.csv" && echo same)" \
    "same" "same seed, same bytes"

"$LUALAB" gen battery-fleet-telemetry --batteries 3 --days 30 > "$tap_tmp/f.csv"
is "$(cut -d, -f3 "$tap_tmp/f.csv" | sort -u | tr '\n' ' ')" "0 1 2 Battery_ID " "fleet: three batteries"

"$LUALAB" gen nope 2>"$tap_tmp/err"
ok $([ $? -eq 2 ]; echo $?) "unknown data set exits 2"
is "$(head -1 "$tap_tmp/err")" "lualab gen: unknown data set 'nope'" "unknown data set message"
is "$(sed -n '2,$p' "$tap_tmp/err")" "see lualab gen --help" "one line, then where the usage is"
"$LUALAB" gen --help >"$tap_tmp/out"
like "$(head -1 "$tap_tmp/out")" "^usage: lualab gen NAME" "gen --help prints the usage"

"$LUALAB" gen daily-battery-time-series --rows x 2>"$tap_tmp/err"
ok $([ $? -eq 2 ]; echo $?) "bad --rows exits 2"
is "$(head -1 "$tap_tmp/err")" "lualab gen: --rows needs a positive integer, got 'x'" "bad --rows message"

"$LUALAB" gen 2>"$tap_tmp/err"
is "$(head -1 "$tap_tmp/err")" "lualab gen: needs a data set NAME" "missing name message"

done_testing
