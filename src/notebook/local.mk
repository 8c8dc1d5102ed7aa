# notebook/: the notebook model, its file formats (percent .lua, .ipynb,
# .md), running a cell into outputs, the headless runner and `convert`.
liblualab_a_SOURCES += src/notebook/notebook.h src/notebook/nb_int.h \
	src/notebook/notebook.c src/notebook/format_percent.c \
	src/notebook/format_ipynb.c src/notebook/format_md.c \
	src/notebook/exec.c src/notebook/runner.c src/notebook/convert.c
LL_COMMANDS += convert
