#!/usr/bin/python3
"""PyTorch side of bench/nn/run.sh.

prepare DIR: write each case's initial weights, data and reference loss
(safetensors) so lualab starts from the same numbers.
time DIR THREADS: time the training steps; print "case median_ms".
"""
import json
import os
import statistics
import struct
import sys
import time

import torch

CASES = ["ts_h64", "ts_h128", "text_b16", "text_b64", "deep512", "infer_h128"]
WARMUP, ITERS = 3, int(os.environ.get("BENCH_ITERS", "20"))
EPOCH_N = int(os.environ.get("BENCH_EPOCH_N", "90000"))


def save(path, tensors):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].detach().to(torch.float32).contiguous()
        b = t.numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32
                                  ).reshape(v["shape"])
    return out


class TS(torch.nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.lstm = torch.nn.LSTM(d, h, batch_first=True)
        self.linear = torch.nn.Linear(h, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.linear(out[:, -1, :])


class Text(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10000, 100)
        self.emb.weight.requires_grad = False
        self.lstm = torch.nn.LSTM(100, 100, batch_first=True)
        self.linear = torch.nn.Linear(100, 1)

    def forward(self, x):
        out, _ = self.lstm(self.emb(x.long()))
        return torch.sigmoid(self.linear(out[:, -1, :]))


class Deep(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(512, 512, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0]


def build(case):
    """model, x, y, loss_fn, train?"""
    if case.startswith("ts_"):
        h = int(case[4:])
        return TS(1, h), torch.randn(32, 50, 1), torch.randn(32, 1), \
            torch.nn.MSELoss(), True
    if case.startswith("text_"):
        b = int(case[6:])
        return Text(), torch.randint(1, 10000, (b, 15)).float(), \
            (torch.rand(b, 1) > 0.5).float(), torch.nn.BCELoss(), True
    if case == "deep512":
        return Deep(), torch.randn(64, 25, 512), torch.zeros(64, 25, 512), \
            torch.nn.MSELoss(), True
    return TS(1, 128), torch.randn(1, 50, 1), None, None, False


def prepare(d):
    torch.manual_seed(0)
    for case in CASES:
        m, x, y, loss_fn, _ = build(case)
        t = {"x": x}
        if y is not None:
            t["y"] = y
        for k, p in m.named_parameters():
            t["p." + k] = p
        with torch.no_grad():
            out = m(x)
            t["ref.out"] = out
            if loss_fn is not None:
                t["ref.loss"] = loss_fn(out, y).reshape(1)
        save(os.path.join(d, case + ".safetensors"), t)


def median_ms(fn):
    for _ in range(WARMUP):
        fn()
    ts = []
    for _ in range(ITERS):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


def time_cases(d, threads):
    torch.set_num_threads(threads)
    for case in CASES:
        t = load(os.path.join(d, case + ".safetensors"))
        m, _, _, loss_fn, train = build(case)
        m.load_state_dict({k[2:]: v for k, v in t.items()
                           if k.startswith("p.")}, strict=False)
        x, y = t["x"], t.get("y")
        if train:
            opt = torch.optim.Adam([p for p in m.parameters()
                                    if p.requires_grad], lr=1e-3)

            def step():
                opt.zero_grad()
                loss_fn(m(x), y).backward()
                opt.step()
        else:
            def step():
                with torch.no_grad():
                    m(x)
        print(case, "%.3f" % median_ms(step), flush=True)
    # sgemm rate, one thread
    torch.set_num_threads(1)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    ms = median_ms(lambda: torch.mm(a, b))
    print("sgemm_gflops", "%.2f" % (2 * 1024 ** 3 / ms / 1e6), flush=True)
    torch.set_num_threads(threads)
    if EPOCH_N > 0:
        torch.manual_seed(1)
        m, _, _, loss_fn, _ = build("text_b16")
        t = load(os.path.join(d, "text_b16.safetensors"))
        m.load_state_dict({k[2:]: v for k, v in t.items()
                           if k.startswith("p.")}, strict=False)
        X = torch.randint(1, 10000, (EPOCH_N, 15)).float()
        Y = (torch.rand(EPOCH_N, 1) > 0.5).float()
        opt = torch.optim.Adam([p for p in m.parameters()
                                if p.requires_grad], lr=1e-3)
        t0 = time.perf_counter()
        for i in range(0, EPOCH_N, 16):
            opt.zero_grad()
            loss_fn(m(X[i:i + 16]), Y[i:i + 16]).backward()
            opt.step()
        print("text_epoch", "%.3f" % ((time.perf_counter() - t0) * 1000),
              flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        time_cases(sys.argv[2], int(sys.argv[3]))
