# The lab's notebooks (docs/lab.md): installed under $(pkgdatadir)/notebooks,
# run headless with small parameters by tests/notebooks.sh.
nobase_dist_pkgdata_DATA += notebooks/00-tour.lua notebooks/01-automl-forecast.lua notebooks/02-rnn-forecast.lua \
	notebooks/03-stream-scoring.lua \
	notebooks/04-text-compliance.lua
TESTS += tests/notebooks.sh tests/ui/lab.sh
EXTRA_DIST += tests/notebooks.sh tests/ui/lab.sh
