# track/: experiment tracking and the model registry on SQLite (DESIGN 5.8).
liblualab_a_SOURCES += src/track/track.h src/track/store.c \
	src/track/filter.c src/track/registry.c src/track/export_mlflow.c \
	src/track/view.h src/track/view.c src/track/cli.c src/track/lua_track.c
LL_MODULES += mlflow
LL_COMMANDS += runs models
LL_LUA_FILES += lua/lualab/_mlflow.lua
