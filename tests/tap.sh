# Helpers for shell tests that speak TAP.  Source it, call ok/is, then done.
#   . "$top_srcdir/tests/tap.sh"
#   is "$(lualab -e 'print(1)')" "1" "prints one"
#   done_testing
tap_n=0
tap_failed=0
LUALAB=${LUALAB:-./lualab}
ok() { # ok CONDITION_EXIT_STATUS DESCRIPTION
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
    fi
}
is() { # is GOT EXPECTED DESCRIPTION
    tap_n=$((tap_n + 1))
    if [ "$1" = "$2" ]; then
        echo "ok $tap_n - $3"
    else
        echo "not ok $tap_n - $3"
        printf '# expected: %s\n# got:      %s\n' "$2" "$1" | sed 's/^/# /'
        tap_failed=$((tap_failed + 1))
    fi
}
like() { # like GOT PATTERN DESCRIPTION  (grep -E pattern)
    tap_n=$((tap_n + 1))
    if printf '%s' "$1" | grep -Eq -- "$2"; then
        echo "ok $tap_n - $3"
    else
        echo "not ok $tap_n - $3"
        printf '# pattern: %s\n# got: %s\n' "$2" "$1" | sed 's/^/# /'
        tap_failed=$((tap_failed + 1))
    fi
}
done_testing() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}
# A scratch directory removed on exit.
tap_tmp=$(mktemp -d)
trap 'rm -rf "$tap_tmp"' EXIT
