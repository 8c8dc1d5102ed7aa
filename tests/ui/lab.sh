#!/bin/sh
# The lab's Exercises 1 and 3 in the curses notebook, run cell by cell
# (Ctrl-E, then j): the live automl progress with the best model so far,
# the live streaming status, and every cell finishing without an error.
. "$top_srcdir/tests/ui/ui_lib.sh"

# run_all NOTEBOOK LIVE_PATTERN LIVE_DESCRIPTION: run each cell in turn;
# while the cells run, the screen must once show LIVE_PATTERN.
run_all() {
    live=1
    failed=0
    k=0
    for kind in $(sed -n 's/^-- %% *\[markdown\].*/md/p; s/^-- %%\( tags=.*\)\{0,1\}$/code/p' \
        "$tap_tmp/$1"); do
        k=$((k + 1))
        if [ "$kind" = code ]; then
            keys C-e
            # poll for the live line until the status line reports this cell
            n=0
            while [ $n -lt 2400 ]; do
                scr=$(screen)
                if [ $live -ne 0 ] && printf '%s\n' "$scr" | grep -Eq -- "$2"; then
                    live=0
                fi
                printf '%s\n' "$scr" | grep -Eq "cell $k: [a-z ]+ \(" && break
                sleep 0.05
                n=$((n + 1))
            done
            if ! printf '%s\n' "$scr" | grep -Eq "cell $k: done \("; then
                failed=1
                echo "# cell $k did not finish with done"
                printf '%s\n' "$scr" | sed 's/^/#   | /'
            fi
        fi
        keys j
    done
    ok $live "$3"
    ok $failed "$1: every code cell ran to done"
}

# --- Exercise 1 -------------------------------------------------------------------
cp "$top_srcdir/notebooks/01-automl-forecast.lua" "$tap_tmp/"
ui_start 01-automl-forecast.lua 110 40
see 'kernel: idle' "01: the notebook opens"
run_all 01-automl-forecast.lua 'automl trials .*best [A-Za-z]+ nrmse' \
    "01: the live automl line shows the trials and the best model so far"
see 'service running: false' "01: the last cell stopped the service"
ok $(ps -eo args | grep -q '[l]ualab serve -m models:/battery-cycles'; [ $? -ne 0 ]; echo $?) \
    "01: no server left running"
keys s
see 'saved' "01: the notebook saves"
ui_stop

# --- Exercise 3 (30 days of telemetry) -------------------------------------------
sed 's/^stream_days = 90 /stream_days = 30 /' "$top_srcdir/notebooks/03-stream-scoring.lua" \
    >"$tap_tmp/03-stream-scoring.lua"
ui_start 03-stream-scoring.lua 110 40
see 'kernel: idle' "03: the notebook opens"
run_all 03-stream-scoring.lua 'streaming .*(scores|alerts).*rows/s' \
    "03: the live streaming line shows the queries' batches and rows/s"
see 'active queries: 0' "03: the last cell stopped the queries"
ui_stop

done_testing
