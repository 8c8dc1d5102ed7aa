# Helpers for the curses notebook tests: drive the real binary in tmux.
#   . "$top_srcdir/tests/ui/ui_lib.sh"
#   ui_start nb.lua; wait_for 'kernel: idle'; keys j C-e; ...
# Each test file runs its own tmux server (socket lualab-ui-PID) at a fixed
# size and kills it at the end; every wait is bounded.
. "$top_srcdir/tests/tap.sh"

ui_n=0
ui_sock="lualab-ui-$$"
tm() { tmux -L "$ui_sock" -f /dev/null "$@"; }
ui_stop() {
    tm kill-server >/dev/null 2>&1
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$ui_sock"
}
trap 'ui_stop; rm -rf "$tap_tmp"' EXIT

if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi

# ui_start FILE [COLS ROWS]: open FILE (relative to $tap_tmp) in a new
# session.  The pane prints EXIT=code when lualab ends.
ui_start() {
    ui_stop
    ui_n=$((ui_n + 1))
    ui_sock="lualab-ui-$$-$ui_n"
    tm new-session -d -x "${2:-100}" -y "${3:-30}" \
        "cd '$tap_tmp' && env LC_ALL=C.UTF-8 TERM=tmux-256color \
LUALAB_UI_AUTOSAVE_MS=300 ${UI_ENV:-} '$LUALAB' '$1'; echo EXIT=\$?; sleep 60"
}

# ui_exec FILE: the same, but the pane's process is lualab itself (for kill).
ui_exec() {
    ui_stop
    ui_n=$((ui_n + 1))
    ui_sock="lualab-ui-$$-$ui_n"
    tm new-session -d -x 100 -y 30 \
        "cd '$tap_tmp' && exec env LC_ALL=C.UTF-8 TERM=tmux-256color \
LUALAB_UI_AUTOSAVE_MS=300 '$LUALAB' '$1'"
}

screen() { tm capture-pane -p; }
keys() { tm send-keys "$@"; sleep 0.05; }
type_text() { tm send-keys -l -- "$1"; sleep 0.05; }
esc() { tm send-keys Escape; sleep 0.15; }

# wait_for PATTERN [SECONDS]: poll the screen until it matches (grep -E);
# sets $scr to the last screen seen.  Returns 1 on timeout.  The default
# bound is generous: on a loaded machine (a parallel make check under the
# sanitizers) lualab may get a fraction of a CPU; a bound only limits how
# long a failing test takes.
wait_for() {
    _n=0
    _lim=$((${2:-30} * 20))
    while [ $_n -lt $_lim ]; do
        scr=$(screen)
        if printf '%s\n' "$scr" | grep -Eq -- "$1"; then
            return 0
        fi
        sleep 0.05
        _n=$((_n + 1))
    done
    return 1
}

# see PATTERN DESCRIPTION: a test that waits for the screen to show it.
see() {
    wait_for "$1" "${3:-30}"
    _rc=$?
    ok $_rc "$2"
    [ $_rc -eq 0 ] || printf '%s\n' "$scr" | sed 's/^/#   | /'
}

# not_see PATTERN DESCRIPTION: the current screen does not show it.
not_see() {
    scr=$(screen)
    if printf '%s\n' "$scr" | grep -Eq -- "$1"; then
        ok 1 "$2"
        printf '%s\n' "$scr" | sed 's/^/#   | /'
    else
        ok 0 "$2"
    fi
}
