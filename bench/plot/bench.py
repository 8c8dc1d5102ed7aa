#!/usr/bin/python3
# matplotlib side of bench/plot/run.sh: the same data, the same charts.
import io, statistics, sys, time
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

n, reps = int(sys.argv[1]), int(sys.argv[2])
y = np.sin(np.arange(n) / 5000.0) + 0.1 * np.sin(np.arange(n) * 0.7)

def bench(name, f, detail=""):
    ts = []
    for _ in range(reps):
        t0 = time.process_time()
        f()
        ts.append(time.process_time() - t0)
    print(name, "%.4f" % statistics.median(ts), detail)

def line_png():
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(y)
    fig.canvas.draw()
    plt.close(fig)

def line_svg():
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(y)
    fig.savefig(io.StringIO(), format="svg")
    plt.close(fig)

counts, edges = np.histogram(y, bins="auto")
def hist_png():
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.hist(y, bins="auto")
    fig.canvas.draw()
    plt.close(fig)

def hist_svg():
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.hist(y, bins="auto")
    fig.savefig(io.StringIO(), format="svg")
    plt.close(fig)

bench("line_text", line_png, "range=%.6f,%.6f" % (y.min(), y.max()))
bench("line_svg", line_svg)
bench("hist_text", hist_png, "bins=%d" % len(counts))
bench("hist_svg", hist_svg)
