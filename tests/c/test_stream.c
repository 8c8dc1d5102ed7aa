/* Tests for stream/: the checkpoint protocol, typed rows and their
 * malformed-record modes, the file source, the operators and the sinks
 * (SQLite idempotence per batch, files, memory), and a query restarted
 * from its checkpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream/stream.h"
#include "util/fsutil.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ll-stream-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ll_remove_tree(dir, NULL);
    ll_stream_tables_clear();
    return 0;
}

static void put_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = 0;
    ll_mkdir_p(path, NULL);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void schema3(ll_schema *s)
{
    ll_schema_init(s);
    assert_int_equal(ll_schema_add(s, "id", LL_INT, NULL), LL_OK);
    assert_int_equal(ll_schema_add(s, "day", LL_DATE, NULL), LL_OK);
    assert_int_equal(ll_schema_add(s, "x", LL_FLOAT, NULL), LL_OK);
}

static void test_checkpoint(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/chk", dir);
    ll_checkpoint c;
    ll_err err;
    assert_int_equal(ll_ckpt_open(&c, path, &err), LL_OK);
    assert_int_equal(c.last_offsets, -1);
    assert_int_equal(c.last_commit, -1);
    assert_int_equal(strlen(c.id), 32);
    char id[33];
    memcpy(id, c.id, 33);
    assert_int_equal(ll_ckpt_write_offsets(&c, 0, "{\"a\":1}", &err), LL_OK);
    assert_int_equal(ll_ckpt_write_commit(&c, 0, &err), LL_OK);
    assert_int_equal(ll_ckpt_write_offsets(&c, 1, "{\"a\":2}", &err), LL_OK);
    assert_int_equal(ll_ckpt_write_state(&c, 2, 1, "s1", 2, &err), LL_OK);
    ll_ckpt_close(&c);
    /* reopened: the same id, offsets 1 not committed */
    assert_int_equal(ll_ckpt_open(&c, path, &err), LL_OK);
    assert_string_equal(c.id, id);
    assert_int_equal(c.last_offsets, 1);
    assert_int_equal(c.last_commit, 0);
    char *t = ll_ckpt_read_offsets(&c, 1, &err);
    assert_string_equal(t, "{\"a\":2}");
    free(t);
    assert_null(ll_ckpt_read_offsets(&c, 7, &err));
    assert_int_equal(err.code, LL_ENOTFOUND);
    assert_int_equal(ll_ckpt_read_state(&c, 2, 1, &t, &err), LL_OK);
    assert_string_equal(t, "s1");
    free(t);
    assert_int_equal(ll_ckpt_read_state(&c, 2, 0, &t, &err), LL_OK);
    assert_null(t);
    assert_int_equal(ll_ckpt_purge(&c, 2, &err), LL_OK);
    assert_int_equal(ll_ckpt_read_state(&c, 2, 1, &t, &err), LL_OK);
    assert_null(t);
    ll_ckpt_close(&c);
    /* a damaged metadata file is named */
    snprintf(path, sizeof path, "%s/bad/metadata", dir);
    put_file("bad/metadata", "{}");
    snprintf(path, sizeof path, "%s/bad", dir);
    assert_int_equal(ll_ckpt_open(&c, path, &err), LL_EPARSE);
    char want[200];
    snprintf(want, sizeof want,
             "%s/bad/metadata: not a checkpoint's metadata (no \"id\")", dir);
    assert_string_equal(err.msg, want);
}

/* A message's schema: its fields typed by their values; anything but an
 * object is refused naming where it came from. */
static void test_infer_json_schema(void **state)
{
    (void)state;
    ll_schema sc;
    ll_err err = {0};
    const char *msg = "{\"Date\": \"2017-03-20\", \"Battery_ID\": 3, "
                      "\"ok\": true, \"note\": \"x\"}";
    assert_int_equal(
        ll_stream_infer_json_schema(msg, strlen(msg), "t:1", &sc, &err), LL_OK);
    assert_int_equal(sc.n, 4);
    assert_string_equal(sc.names[0], "Date");
    assert_int_equal(sc.types[0], LL_DATE);
    assert_int_equal(sc.types[1], LL_FLOAT);
    assert_int_equal(sc.types[2], LL_BOOL);
    assert_int_equal(sc.types[3], LL_STR);
    ll_schema_free(&sc);
    assert_int_equal(ll_stream_infer_json_schema(
                         "[1, 2]", 6, "fleet/1/telemetry:3", &sc, &err),
                     LL_EPARSE);
    assert_string_equal(err.msg, "fleet/1/telemetry:3: not a JSON object "
                                 "(cannot infer a schema)");
    assert_int_equal(sc.n, 0);
}

static void test_rows_modes(void **state)
{
    (void)state;
    ll_schema s;
    schema3(&s);
    const char *good[] = {"1", "2024-01-02", "1.5"};
    const char *bad[] = {"x", "2024-01-03", "2.5"};
    size_t gl[] = {1, 10, 3}, bl[] = {1, 10, 3};
    ll_err err;
    ll_buf log;
    ll_buf_init(&log);
    /* permissive: the row stays with NA */
    ll_rows *r = ll_rows_new(&s, LL_MODE_PERMISSIVE, &err);
    assert_int_equal(ll_rows_add(r, good, gl, 3, "f.csv", 2, &log, &err), 0);
    assert_int_equal(ll_rows_add(r, bad, bl, 3, "f.csv", 3, &log, &err), 0);
    assert_int_equal(ll_rows_add(r, good, gl, 2, "f.csv", 4, &log, &err), 0);
    assert_int_equal(ll_rows_malformed(r), 2);
    ll_frame *f = ll_rows_finish(r, &err);
    assert_int_equal(f->nrow, 3);
    assert_true(ll_col_isna(f->cols[0], 1));
    assert_int_equal(LL_I64(f->cols[0])[0], 1);
    assert_true(ll_col_isna(f->cols[2], 2));
    assert_string_equal(
        log.data,
        "f.csv:3: column 'id': cannot parse 'x' as int (kept with NA)\n"
        "f.csv:4: expected 3 fields, found 2 (kept with NA)\n");
    ll_frame_free(f);
    ll_rows_free(r);
    /* dropmalformed: the row goes */
    ll_buf_reset(&log);
    r = ll_rows_new(&s, LL_MODE_DROPMALFORMED, &err);
    assert_int_equal(ll_rows_add(r, bad, bl, 3, "f.csv", 3, &log, &err), 0);
    assert_int_equal(ll_rows_add(r, good, gl, 3, "f.csv", 4, &log, &err), 0);
    f = ll_rows_finish(r, &err);
    assert_int_equal(f->nrow, 1);
    assert_int_equal(LL_I64(f->cols[0])[0], 1);
    assert_string_equal(
        log.data, "f.csv:3: column 'id': cannot parse 'x' as int (dropped)\n");
    ll_frame_free(f);
    ll_rows_free(r);
    /* failfast: an error with file and line */
    r = ll_rows_new(&s, LL_MODE_FAILFAST, &err);
    assert_int_equal(ll_rows_add(r, bad, bl, 3, "f.csv", 3, &log, &err),
                     LL_EPARSE);
    assert_string_equal(err.msg,
                        "f.csv:3: column 'id': cannot parse 'x' as int");
    ll_rows_free(r);
    /* JSON rows by name */
    r = ll_rows_new(&s, LL_MODE_PERMISSIVE, &err);
    const char *js = "{\"x\": 2.25, \"id\": 7, \"day\": \"2024-02-01\"}";
    assert_int_equal(ll_rows_add_json(r, js, strlen(js), "m", 1, &log, &err),
                     0);
    f = ll_rows_finish(r, &err);
    assert_int_equal(LL_I64(f->cols[0])[0], 7);
    assert_true(LL_F64(f->cols[2])[0] == 2.25);
    ll_frame_free(f);
    ll_rows_free(r);
    ll_buf_free(&log);
    ll_schema_free(&s);
}

static void test_read_file_modes(void **state)
{
    (void)state;
    put_file("in/a.csv", "id,day,x\n1,2024-01-01,1.5\n2,2024-01-02,oops\n"
                         "3,2024-01-03\n4,2024-01-04,4.5\n");
    char path[128];
    snprintf(path, sizeof path, "%s/in/a.csv", dir);
    ll_schema s;
    schema3(&s);
    ll_err err;
    ll_buf log;
    ll_buf_init(&log);
    int64_t bad;
    ll_frame *f = ll_stream_read_file(path, "csv", &s, LL_MODE_DROPMALFORMED,
                                      &bad, &log, &err);
    assert_non_null(f);
    assert_int_equal(f->nrow, 2);
    assert_int_equal(bad, 2);
    char want[512];
    snprintf(want, sizeof want,
             "%s:3: column 'x': cannot parse 'oops' as float (dropped)\n"
             "%s:4: expected 3 fields, found 2 (dropped)\n",
             path, path);
    assert_string_equal(log.data, want);
    ll_frame_free(f);
    f = ll_stream_read_file(path, "csv", &s, LL_MODE_FAILFAST, &bad, &log,
                            &err);
    assert_null(f);
    snprintf(want, sizeof want,
             "%s:3: column 'x': cannot parse 'oops' as float", path);
    assert_string_equal(err.msg, want);
    /* a good file goes through the CSV reader */
    put_file("in/b.csv", "x,id,day\n0.5,9,2024-03-01\n");
    snprintf(path, sizeof path, "%s/in/b.csv", dir);
    f = ll_stream_read_file(path, "csv", &s, LL_MODE_FAILFAST, &bad, &log,
                            &err);
    assert_non_null(f);
    assert_int_equal(f->nrow, 1);
    assert_string_equal(f->names[0], "id");
    assert_int_equal(f->cols[1]->type, LL_DATE);
    ll_frame_free(f);
    ll_buf_free(&log);
    ll_schema_free(&s);
}

static int count_rows(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static ll_frame *small_frame(void)
{
    ll_schema s;
    schema3(&s);
    ll_rows *r = ll_rows_new(&s, LL_MODE_FAILFAST, NULL);
    const char *a[] = {"1", "2024-01-01", "0.5"};
    const char *b[] = {"2", "2024-01-02", "1.5"};
    size_t l[] = {1, 10, 3};
    ll_rows_add(r, a, l, 3, "t", 1, NULL, NULL);
    ll_rows_add(r, b, l, 3, "t", 2, NULL, NULL);
    ll_frame *f = ll_rows_finish(r, NULL);
    ll_rows_free(r);
    ll_schema_free(&s);
    return f;
}

static void test_sqlite_sink_idempotent(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/out.db", dir);
    ll_err err;
    const char *part[] = {"id"};
    ll_stream_sink *s = ll_sink_sqlite(db, "scores", part, 1, &err);
    assert_non_null(s);
    memcpy(s->query_id, "0123456789abcdef0123456789abcdef", 33);
    ll_frame *f = small_frame();
    assert_int_equal(s->write(s, f, 0, &err), LL_OK);
    assert_int_equal(s->write(s, f, 0, &err), LL_OK); /* again: skipped */
    assert_int_equal(s->write(s, f, 1, &err), LL_OK);
    s->free(s);
    assert_int_equal(count_rows(db, "SELECT count(*) FROM scores"), 4);
    assert_int_equal(
        count_rows(db, "SELECT count(*) FROM _lualab_stream_batches"), 2);
    assert_int_equal(count_rows(db, "SELECT count(*) FROM scores WHERE "
                                    "day = '2024-01-02' AND x = 1.5"),
                     2);
    assert_int_equal(count_rows(db, "SELECT count(*) FROM sqlite_master "
                                    "WHERE name = 'scores_by_id'"),
                     1);
    /* the table was created from the schema: int INTEGER, date TEXT,
     * float REAL */
    assert_int_equal(
        count_rows(db, "SELECT count(*) FROM pragma_table_info('scores') "
                       "WHERE (name = 'id' AND type = 'INTEGER') OR (name = "
                       "'day' AND type = 'TEXT') OR (name = 'x' AND type = "
                       "'REAL')"),
        3);
    assert_int_equal(count_rows(db, "SELECT count(*) FROM scores WHERE "
                                    "typeof(id) = 'integer' AND typeof(day) "
                                    "= 'text' AND typeof(x) = 'real'"),
                     4);
    ll_frame_free(f);
}

static void test_file_and_memory_sinks(void **state)
{
    (void)state;
    char out[128], path[256];
    snprintf(out, sizeof out, "%s/out", dir);
    ll_err err;
    const char *part[] = {"id"};
    ll_stream_sink *s = ll_sink_files(out, "jsonl", part, 1, &err);
    assert_non_null(s);
    ll_frame *f = small_frame();
    assert_int_equal(s->write(s, f, 3, &err), LL_OK);
    s->free(s);
    snprintf(path, sizeof path, "%s/id=2/part-00003-00000.jsonl", out);
    char *text;
    size_t len;
    assert_int_equal(ll_read_file(path, &text, &len, &err), LL_OK);
    assert_string_equal(text, "{\"day\":\"2024-01-02\",\"x\":1.5}\n");
    free(text);
    /* batch 3 run again (after a crash): the same file, rewritten, and
     * no temporary file left beside it */
    s = ll_sink_files(out, "jsonl", part, 1, &err);
    assert_int_equal(s->write(s, f, 3, &err), LL_OK);
    s->free(s);
    assert_int_equal(ll_read_file(path, &text, &len, &err), LL_OK);
    assert_string_equal(text, "{\"day\":\"2024-01-02\",\"x\":1.5}\n");
    free(text);
    snprintf(path, sizeof path, "%s/id=2", out);
    DIR *d = opendir(path);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' ||
            (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            entries++;
    closedir(d);
    assert_int_equal(entries, 1);
    s = ll_sink_memory("t", &err);
    assert_int_equal(s->write(s, f, 0, &err), LL_OK);
    assert_int_equal(s->write(s, f, 0, &err), LL_OK);
    assert_int_equal(s->write(s, f, 1, &err), LL_OK);
    ll_frame *t = ll_stream_table("t", &err);
    assert_int_equal(t->nrow, 4);
    ll_frame_free(t);
    assert_null(ll_stream_table("nope", &err));
    assert_string_equal(err.msg, "no memory table 'nope'");
    s->free(s);
    ll_frame_free(f);
}

/* A query over files into SQLite with drop_duplicates, run in two goes
 * on one checkpoint, the first stopped with a batch planned but not run. */
static ll_query *files_query(const char *chk, const char *db, int trigger,
                             ll_err *err)
{
    char in[128];
    snprintf(in, sizeof in, "%s/tele", dir);
    ll_schema s;
    schema3(&s);
    ll_file_source_opts o = {in, "csv", &s, 1, LL_MODE_PERMISSIVE, 0};
    ll_source *src = ll_source_files(&o, err);
    ll_schema_free(&s);
    const char *key[] = {"id"};
    ll_op *ops[2] = {ll_op_new(LL_OP_FILTER, NULL, 0, "x > 1", NULL, err),
                     ll_op_new(LL_OP_DROP_DUPLICATES, key, 1, NULL, NULL, err)};
    ll_stream_sink *sink = ll_sink_sqlite(db, "alerts", NULL, 0, err);
    return ll_query_new("alerts", src, ops, 2, sink, chk, trigger, 0, err);
}

static void test_query_restart(void **state)
{
    (void)state;
    put_file("tele/f1.csv", "id,day,x\n1,2024-01-01,2\n2,2024-01-01,0\n");
    put_file("tele/f2.csv", "id,day,x\n1,2024-01-02,3\n2,2024-01-02,5\n");
    put_file("tele/f3.csv", "id,day,x\n3,2024-01-03,4\n2,2024-01-03,6\n");
    /* same mtime resolution: order by name */
    char chk[128], db[128];
    snprintf(chk, sizeof chk, "%s/chk", dir);
    snprintf(db, sizeof db, "%s/alerts.db", dir);
    ll_err err;
    ll_query *q = files_query(chk, db, LL_TRIGGER_AVAILABLE_NOW, &err);
    assert_non_null(q);
    assert_int_equal(ll_query_step(q, ll_stream_now(), &err), LL_QUERY_RAN);
    const ll_batch_progress *p = ll_query_progress(q, 0);
    assert_int_equal(p->batch_id, 0);
    assert_int_equal(p->num_input_rows, 2);
    assert_int_equal(p->num_output_rows, 1);
    ll_query_free(q);
    /* as if killed after offsets/1 was written: the batch is pending */
    char off[256];
    snprintf(off, sizeof off, "%s/offsets/1", chk);
    assert_int_equal(
        ll_write_file_atomic(off, "{\"files\":[\"f2.csv\"]}", 20, &err), 0);
    q = files_query(chk, db, LL_TRIGGER_AVAILABLE_NOW, &err);
    assert_non_null(q);
    int rc, runs = 0;
    while ((rc = ll_query_step(q, ll_stream_now(), &err)) == LL_QUERY_RAN)
        runs++;
    assert_int_equal(rc, LL_QUERY_DONE);
    assert_int_equal(runs, 2);
    assert_int_equal(ll_query_progress(q, 0)->batch_id, 1);
    ll_query_free(q);
    /* ids 1, 2, 3 once each */
    assert_int_equal(count_rows(db, "SELECT count(*) FROM alerts"), 3);
    assert_int_equal(count_rows(db, "SELECT count(DISTINCT id) FROM alerts"),
                     3);
    assert_int_equal(
        count_rows(db, "SELECT count(*) FROM _lualab_stream_batches"), 3);
    /* nothing new: a third start runs nothing */
    q = files_query(chk, db, LL_TRIGGER_AVAILABLE_NOW, &err);
    assert_int_equal(ll_query_step(q, ll_stream_now(), &err), LL_QUERY_DONE);
    ll_query_free(q);
}

static void test_query_dies_with_batch_id(void **state)
{
    (void)state;
    put_file("tele/f1.csv", "id,day,x\n1,2024-01-01,2\n");
    char in[128];
    snprintf(in, sizeof in, "%s/tele", dir);
    ll_err err;
    ll_file_source_opts o = {in, "csv", NULL, 0, LL_MODE_FAILFAST, 0};
    ll_source *src = ll_source_files(&o, &err);
    ll_op *ops[1] = {ll_op_new(LL_OP_FILTER, NULL, 0, "nope > 1", NULL, &err)};
    ll_query *q = ll_query_new("bad", src, ops, 1, ll_sink_memory("m", &err),
                               NULL, LL_TRIGGER_ONCE, 0, &err);
    assert_non_null(q);
    assert_true(ll_query_step(q, ll_stream_now(), &err) < 0);
    assert_non_null(
        strstr(err.msg, "query 'bad' batch 0: filter(\"nope > 1\")"));
    assert_string_equal(ll_query_error(q), err.msg);
    assert_false(ll_query_active(q));
    ll_query_free(q);
    /* a missing folder */
    o.path = "/nonexistent/stream";
    assert_null(ll_source_files(&o, &err));
    assert_string_equal(err.msg,
                        "file source: /nonexistent/stream: not a folder");
}

/* ---- Kafka, against librdkafka's in-process mock cluster ---- */

static void produce(const char *bootstraps, const char *topic, int from, int to)
{
    char msg[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(
        rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, msg, sizeof msg),
        RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, msg, sizeof msg);
    assert_non_null(p);
    for (int i = from; i < to; i++) {
        char v[64];
        int n = snprintf(v, sizeof v, "{\"id\": %d, \"x\": %g}", i, i * 0.5);
        assert_int_equal(
            rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                              RD_KAFKA_V_PARTITION(i % 2),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_VALUE(v, (size_t)n), RD_KAFKA_V_END),
            0);
    }
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);
}

/* Run a query from a Kafka topic to a memory table to its end. */
static ll_frame *kafka_to_memory(const char *bootstraps, const char *topic,
                                 const char *chk, const char *table,
                                 ll_stream_sink *sink)
{
    ll_err err;
    ll_schema s;
    ll_schema_init(&s);
    ll_schema_add(&s, "id", LL_INT, NULL);
    ll_schema_add(&s, "x", LL_FLOAT, NULL);
    ll_kafka_source_opts o = {bootstraps, topic, "test",          NULL,
                              4,          &s,    LL_MODE_FAILFAST};
    ll_source *src = ll_source_kafka(&o, &err);
    ll_schema_free(&s);
    assert_non_null(src);
    if (!sink)
        sink = ll_sink_memory(table, &err);
    ll_query *q = ll_query_new("k", src, NULL, 0, sink, chk,
                               LL_TRIGGER_AVAILABLE_NOW, 0, &err);
    if (!q)
        fail_msg("%s", err.msg);
    int rc;
    while ((rc = ll_query_step(q, ll_stream_now(), &err)) == LL_QUERY_RAN)
        ;
    if (rc != LL_QUERY_DONE)
        fail_msg("%s", err.msg);
    ll_query_free(q);
    return table ? ll_stream_table(table, &err) : NULL;
}

/* The keys of a topic's first N messages (partition 0), read with a plain
 * consumer: the Kafka sink's "<query id>:<batch>:<row>". */
static void check_keys(const char *bootstraps, const char *topic, int n)
{
    char msg[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(
        rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, msg, sizeof msg),
        RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "group.id", "keys", msg, sizeof msg),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, c, msg, sizeof msg);
    assert_non_null(k);
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(k, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    char first_id[64] = "";
    char seen[4][15] = {{0}};
    int got = 0;
    for (int tries = 0; got < n && tries < 100; tries++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k, 100);
        if (!m)
            continue;
        if (!m->err) {
            char key[128], id[64];
            long long b, r;
            assert_true(m->key_len > 0 && m->key_len < sizeof key);
            memcpy(key, m->key, m->key_len);
            key[m->key_len] = 0;
            assert_int_equal(sscanf(key, "%63[0-9a-f]:%lld:%lld", id, &b, &r),
                             3);
            assert_int_equal(strlen(id), 32);
            if (!got)
                snprintf(first_id, sizeof first_id, "%s", id);
            assert_string_equal(id, first_id); /* one query */
            /* 15 rows in 4 batches (max_offsets_per_trigger 4 over two
             * partitions), no key twice */
            assert_true(b >= 0 && b < 4 && r >= 0 && r < 15);
            assert_false(seen[b][r]);
            seen[b][r] = 1;
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(got, n);
    rd_kafka_consumer_close(k);
    rd_kafka_destroy(k);
}

/* The offsets the consumer group GROUP committed on TOPIC's partitions 0
 * and 1 (what the usual tools show the lag from). */
static void group_offsets(const char *bootstraps, const char *group,
                          const char *topic, int64_t out[2])
{
    char msg[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(
        rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, msg, sizeof msg),
        RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "group.id", group, msg, sizeof msg),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, c, msg, sizeof msg);
    assert_non_null(k);
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(parts, topic, 0);
    rd_kafka_topic_partition_list_add(parts, topic, 1);
    assert_int_equal(rd_kafka_committed(k, parts, 10000), 0);
    out[0] = parts->elems[0].offset;
    out[1] = parts->elems[1].offset;
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(k);
}

static void test_kafka_mock_cluster(void **state)
{
    (void)state;
    char msg[256], chk[128], chk2[128], chk3[128];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", msg, sizeof msg);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof msg);
    assert_non_null(rk);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    assert_non_null(mc);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "tele", 2, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "out", 1, 1), 0);
    produce(bs, "tele", 0, 10);
    snprintf(chk, sizeof chk, "%s/kchk", dir);
    ll_frame *t = kafka_to_memory(bs, "tele", chk, "k", NULL);
    assert_int_equal(t->nrow, 10);
    int64_t sum = 0;
    for (int64_t i = 0; i < t->nrow; i++)
        sum += LL_I64(t->cols[0])[i];
    assert_int_equal(sum, 45);
    ll_frame_free(t);
    /* max_offsets_per_trigger 4 over 2 partitions: 5 + 5 -> 3 batches */
    char path[256];
    snprintf(path, sizeof path, "%s/commits/2", chk);
    assert_true(ll_file_exists(path));
    snprintf(path, sizeof path, "%s/commits/3", chk);
    assert_false(ll_file_exists(path));
    /* the end offsets of the last batch, committed to the group */
    int64_t committed[2];
    group_offsets(bs, "test", "tele", committed);
    assert_int_equal(committed[0], 5);
    assert_int_equal(committed[1], 5);
    /* restarted on its checkpoint: only the new messages */
    produce(bs, "tele", 10, 15);
    t = kafka_to_memory(bs, "tele", chk, "k", NULL);
    assert_int_equal(t->nrow, 5);
    sum = 0;
    for (int64_t i = 0; i < t->nrow; i++)
        sum += LL_I64(t->cols[0])[i];
    assert_int_equal(sum, 10 + 11 + 12 + 13 + 14);
    ll_frame_free(t);
    /* the Kafka sink, read back */
    ll_err err;
    snprintf(chk2, sizeof chk2, "%s/kchk2", dir);
    snprintf(chk3, sizeof chk3, "%s/kchk3", dir);
    ll_stream_sink *sink = ll_sink_kafka(bs, "out", &err);
    assert_non_null(sink);
    kafka_to_memory(bs, "tele", chk2, NULL, sink);
    t = kafka_to_memory(bs, "out", chk3, "o", NULL);
    assert_int_equal(t->nrow, 15);
    assert_true(LL_F64(t->cols[1])[0] == 0.5 * (double)LL_I64(t->cols[0])[0]);
    ll_frame_free(t);
    /* every message keyed by query, batch and row */
    check_keys(bs, "out", 15);
    /* a malformed message stops a failfast query, named by topic,
     * partition and offset, with the batch id */
    assert_int_equal(rd_kafka_mock_topic_create(mc, "badt", 1, 1), 0);
    {
        rd_kafka_conf_t *pc = rd_kafka_conf_new();
        assert_int_equal(
            rd_kafka_conf_set(pc, "bootstrap.servers", bs, msg, sizeof msg),
            RD_KAFKA_CONF_OK);
        rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, msg, sizeof msg);
        assert_non_null(p);
        char v0[] = "{\"id\": 1, \"x\": 0.5}",
             v1[] = "{\"id\": 2, \"x\": \"oops\"}";
        char *vals[] = {v0, v1};
        for (int i = 0; i < 2; i++)
            assert_int_equal(
                rd_kafka_producev(p, RD_KAFKA_V_TOPIC("badt"),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE(vals[i], strlen(vals[i])),
                                  RD_KAFKA_V_END),
                0);
        assert_int_equal(rd_kafka_flush(p, 10000), 0);
        rd_kafka_destroy(p);
        ll_schema s;
        ll_schema_init(&s);
        ll_schema_add(&s, "id", LL_INT, NULL);
        ll_schema_add(&s, "x", LL_FLOAT, NULL);
        ll_kafka_source_opts bo = {bs, "badt", "test",          NULL,
                                   0,  &s,     LL_MODE_FAILFAST};
        ll_source *src = ll_source_kafka(&bo, &err);
        ll_schema_free(&s);
        assert_non_null(src);
        ll_query *q =
            ll_query_new("kbad", src, NULL, 0, ll_sink_memory("kb", &err), NULL,
                         LL_TRIGGER_AVAILABLE_NOW, 0, &err);
        assert_non_null(q);
        int rc;
        while ((rc = ll_query_step(q, ll_stream_now(), &err)) == LL_QUERY_RAN)
            ;
        assert_true(rc < 0);
        assert_string_equal(err.msg, "query 'kbad' batch 0: badt[0]:1: column "
                                     "'x': cannot parse 'oops' as float");
        ll_query_free(q);
    }
    /* a bad starting point is named */
    ll_kafka_source_opts o = {bs,   "tele",          NULL, "middle", 0,
                              NULL, LL_MODE_FAILFAST};
    assert_null(ll_source_kafka(&o, &err));
    assert_string_equal(
        err.msg, "kafka source: starting_offsets 'middle' (earliest, latest)");
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoint, setup, teardown),
        cmocka_unit_test(test_infer_json_schema),
        cmocka_unit_test_setup_teardown(test_rows_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_sink_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_and_memory_sinks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_dies_with_batch_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kafka_mock_cluster, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
