# plot/: charts (canvas, layout, text/ANSI/cell/SVG renderers), progress
# bars, and the `plot` Lua module.
liblualab_a_SOURCES += src/plot/plot.h src/plot/plot_int.h \
	src/plot/canvas.c src/plot/canvas.h src/plot/chart.c \
	src/plot/render_text.c src/plot/render_svg.c src/plot/lua_plot.c \
	src/plot/progress.c src/plot/progress.h src/plot/sparkline_text.c
LL_MODULES += plot

check_PROGRAMS += tests/c/test_plot tests/c/test_canvas tests/c/test_progress
TESTS += tests/c/test_plot tests/c/test_canvas tests/c/test_progress \
	tests/lua/plot_spec.lua
tests_c_test_plot_SOURCES = tests/c/test_plot.c
tests_c_test_plot_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_plot_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_canvas_SOURCES = tests/c/test_canvas.c
tests_c_test_canvas_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_canvas_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_progress_SOURCES = tests/c/test_progress.c
tests_c_test_progress_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_progress_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += docs/plot.md tests/lua/plot_spec.lua tests/fixtures/plot/make_hist.py \
	tests/fixtures/plot/hist_numpy.txt \
	tests/fixtures/plot/bar.ascii.txt \
	tests/fixtures/plot/bar.txt \
	tests/fixtures/plot/barh.ascii.txt \
	tests/fixtures/plot/barh.txt \
	tests/fixtures/plot/grid.ascii.txt \
	tests/fixtures/plot/grid.txt \
	tests/fixtures/plot/heatmap.ascii.txt \
	tests/fixtures/plot/heatmap.txt \
	tests/fixtures/plot/hist.ascii.txt \
	tests/fixtures/plot/hist.txt \
	tests/fixtures/plot/line.ascii.txt \
	tests/fixtures/plot/line.txt \
	tests/fixtures/plot/scatter.ascii.txt \
	tests/fixtures/plot/scatter.txt \
	tests/fixtures/plot/sparkline.ascii.txt \
	tests/fixtures/plot/sparkline.txt \
	tests/fixtures/plot/lab_charts.lua \
	tests/fixtures/plot/lab_loss.svg \
	tests/fixtures/plot/lab_loss.txt \
	tests/fixtures/plot/lab_predicted_vs_true.svg \
	tests/fixtures/plot/lab_predicted_vs_true.txt \
	tests/fixtures/plot/lab_importance.svg \
	tests/fixtures/plot/lab_importance.txt \
	tests/fixtures/plot/lab_confusion.svg \
	tests/fixtures/plot/lab_confusion.txt \
	tests/fixtures/plot/lab_residuals.svg \
	tests/fixtures/plot/lab_residuals.txt

# f:plot{} and t:plot{} for the frame and nn modules
LL_LUA_FILES += lua/lualab/_plotting.lua
TESTS += tests/lua/plotting_spec.lua
EXTRA_DIST += tests/lua/plotting_spec.lua
