# lua/: tests of the Lua layer (nn.lua, keras/, _mlflow.lua) that need a
# kernel around them.
check_PROGRAMS += tests/c/test_lua_interrupt
TESTS += tests/c/test_lua_interrupt
tests_c_test_lua_interrupt_SOURCES = tests/c/test_lua_interrupt.c
tests_c_test_lua_interrupt_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_lua_interrupt_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
LL_LUA_FILES += lua/lualab/_args.lua
TESTS += tests/lua/one_table_spec.lua
EXTRA_DIST += tests/lua/one_table_spec.lua
LL_LUA_FILES += lua/lualab/nn/layers.lua lua/lualab/nn/optim.lua lua/lualab/nn/io.lua
LL_LUA_FILES += lua/lualab/_mlflow/artifacts.lua lua/lualab/_mlflow/models.lua \
	lua/lualab/_mlflow/search.lua lua/lualab/_mlflow/autolog.lua
