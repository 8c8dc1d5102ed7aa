#!/usr/bin/python3
"""The peer: Python's sqlite3 doing what MLflow's SQLAlchemy store does for
the same work (one INSERT per metric point in a transaction; the search as
one SQL query with EXISTS per condition), on an equivalent schema.
MLflow itself is not packaged for Debian, so its SQL is the reference.
Usage: bench_peer.py DIR REPEATS"""
import os
import sqlite3
import statistics
import sys
import time
import uuid

d, repeats = sys.argv[1], int(sys.argv[2])
SCHEMA = """
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, name TEXT, experiment_id INT,
  status TEXT, start_time INT, end_time INT);
CREATE TABLE params (run_uuid TEXT, key TEXT, value TEXT, PRIMARY KEY (run_uuid, key));
CREATE TABLE metrics (run_uuid TEXT, key TEXT, value REAL, timestamp INT, step INT);
CREATE INDEX m ON metrics (run_uuid, key, step);
CREATE TABLE latest_metrics (run_uuid TEXT, key TEXT, value REAL, timestamp INT,
  step INT, PRIMARY KEY (run_uuid, key));
"""


def now_ms():
    return int(time.time() * 1000)


log_times = []
for r in range(repeats):
    path = os.path.join(d, f"peer_log{r}.db")
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    t0 = time.perf_counter()
    rid = uuid.uuid4().hex
    db.execute("INSERT INTO runs VALUES (?, 'r', 0, 'RUNNING', ?, NULL)", (rid, now_ms()))
    db.commit()
    with db:
        for i in range(1, 100001):
            db.execute("INSERT INTO metrics VALUES (?, 'loss', ?, ?, ?)", (rid, 1 / i, now_ms(), i))
            db.execute("INSERT INTO latest_metrics VALUES (?, 'loss', ?, ?, ?) ON CONFLICT DO UPDATE "
                       "SET value=excluded.value, timestamp=excluded.timestamp, step=excluded.step "
                       "WHERE excluded.step >= step", (rid, 1 / i, now_ms(), i))
    log_times.append(time.perf_counter() - t0)
    n = db.execute("SELECT count(*) FROM metrics").fetchone()[0]
    db.close()
print("log_metric_100k_s %.3f points %d" % (statistics.median(log_times), n))

db = sqlite3.connect(os.path.join(d, "peer_search.db"))
db.executescript(SCHEMA)
lrs = ["0.1", "0.01", "0.001", "0.0001"]
with db:
    for i in range(1, 10001):
        rid = uuid.uuid4().hex
        db.execute("INSERT INTO runs VALUES (?, ?, 1, 'FINISHED', ?, ?)", (rid, f"r{i}", i, i))
        db.execute("INSERT INTO params VALUES (?, 'lr', ?)", (rid, lrs[i % 4]))
        for k, v in (("val_accuracy", (i % 1000) / 1000), ("val_loss", 1 - (i % 1000) / 1000)):
            db.execute("INSERT INTO latest_metrics VALUES (?, ?, ?, 0, 0)", (rid, k, v))
q = """SELECT r.run_uuid, r.name, r.status FROM runs r WHERE r.experiment_id = 1
 AND EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = 'val_accuracy' AND m.value > 0.9)
 AND EXISTS (SELECT 1 FROM params p WHERE p.run_uuid = r.run_uuid AND p.key = 'lr' AND p.value = '0.001')
 ORDER BY (SELECT value FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = 'val_loss') ASC"""
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    rows = db.execute(q).fetchall()
    # MLflow loads params, metrics and tags of the result runs as well
    ids = [x[0] for x in rows]
    marks = ",".join("?" * len(ids))
    db.execute(f"SELECT * FROM params WHERE run_uuid IN ({marks})", ids).fetchall()
    db.execute(f"SELECT * FROM latest_metrics WHERE run_uuid IN ({marks})", ids).fetchall()
    times.append(time.perf_counter() - t0)
print("search_10k_s %.4f rows %d" % (statistics.median(times), len(rows)))
