# tests/: Lua specs and shell tests (C tests are listed by each subsystem).
TESTS += tests/lua/host_spec.lua tests/cli.sh tests/progress_run.sh tests/exec_output.sh
EXTRA_DIST += tests/lua/helper.lua tests/lua/host_spec.lua tests/cli.sh tests/progress_run.sh tests/exec_output.sh \
	tests/busted-tap.sh
