#!/usr/bin/python3
"""pandas side of bench/frame: median of repeats of process CPU time."""
import sys, time, statistics
import pandas as pd

path, R = sys.argv[1], int(sys.argv[2])
res = {}


def med(fn):
    ts = []
    for _ in range(R):
        t0 = time.process_time()
        out = fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts), out


t, df = med(lambda: pd.read_csv(path))
print("read_csv %.4f %d" % (t, len(df)))
t, x = med(lambda: df.groupby("id1", sort=False)["v1"].sum())
print("sum_by_id1 %.4f %d" % (t, x.sum()))
t, x = med(lambda: df.groupby("id1", sort=False)["v3"].mean())
print("mean_by_id1 %.4f %.6f" % (t, x.sum()))
t, x = med(lambda: df.groupby(["id1", "id2"], sort=False)["v1"].sum())
print("sum_by_id1_id2 %.4f %d" % (t, len(x)))
t, x = med(lambda: df.groupby(["id1", "id2"], sort=False)["v3"].mean())
print("mean_by_id1_id2 %.4f %.6f" % (t, x.sum()))
t, x = med(lambda: df.sort_values(["id4", "v3"], kind="stable"))
print("sort_id4_v3 %.4f %.6f" % (t, x["v3"].iloc[0] + x["v3"].iloc[-1]))
t, x = med(lambda: df.groupby("id1", sort=False)["v3"].rolling(7).mean())
print("rolling_mean7_by_id1 %.4f %.4f" % (t, x.sum()))
