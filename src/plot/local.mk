# plot/: charts (canvas, layout, text/ANSI/cell/SVG renderers), progress
# bars, and the `plot` Lua module.
liblualab_a_SOURCES += src/plot/plot.h src/plot/plot_int.h \
	src/plot/canvas.c src/plot/canvas.h src/plot/chart.c \
	src/plot/render_text.c src/plot/render_svg.c src/plot/lua_plot.c
LL_MODULES += plot
