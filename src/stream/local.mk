# stream/: the micro-batch streaming engine (DESIGN 5.10) and the `stream`
# module.
liblualab_a_SOURCES += src/stream/stream.h src/stream/stream_int.h \
	src/stream/strset.c src/stream/rows.c src/stream/range.c src/stream/checkpoint.c \
	src/stream/source_file.c src/stream/ops.c src/stream/sinks.c \
	src/stream/engine.c src/stream/source_rate.c src/stream/source_replay.c src/stream/mqtt.c src/stream/kafka.c src/stream/forecast_op.c \
	src/stream/lua_stream.c
LL_MODULES += stream
TESTS += tests/lua/stream_spec.lua tests/lua/stream_forecast_spec.lua
EXTRA_DIST += tests/lua/stream_spec.lua tests/lua/stream_forecast_spec.lua \
	tests/c/test_stream.c
TESTS += tests/stream_kill.sh
EXTRA_DIST += tests/stream_kill.sh tests/stream/fleet_query.lua
TESTS += tests/stream_mqtt.sh tests/stream_repl.sh tests/stream_kafka.sh
EXTRA_DIST += tests/stream_mqtt.sh tests/stream/mqtt_query.lua tests/stream_repl.sh \
	tests/stream_kafka.sh tests/stream/kafka_query.lua
EXTRA_DIST += docs/stream.md bench/stream/run.sh bench/stream/bench.lua \
	bench/stream/forecast.lua

check_PROGRAMS += tests/c/test_stream
TESTS += tests/c/test_stream
tests_c_test_stream_SOURCES = tests/c/test_stream.c
tests_c_test_stream_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_stream_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

# a mock Kafka cluster on loopback ports for tests/stream_kafka.sh
check_PROGRAMS += tests/c/kafka_mock
tests_c_kafka_mock_SOURCES = tests/c/kafka_mock.c
tests_c_kafka_mock_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
tests_c_kafka_mock_LDADD = $(RDKAFKA_LIBS)
