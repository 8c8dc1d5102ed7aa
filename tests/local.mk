# tests/: Lua specs and shell tests (C tests are listed by each subsystem).
TESTS += tests/lua/host_spec.lua tests/cli.sh tests/progress_run.sh
EXTRA_DIST += tests/lua/helper.lua tests/lua/host_spec.lua tests/cli.sh tests/progress_run.sh \
	tests/busted-tap.sh
