# repl/: the readline REPL and the stdin runner.
liblualab_a_SOURCES += src/repl/repl.c src/frontends.h
