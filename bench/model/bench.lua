-- C scoring (lualab._model) against keras.lua's predict on the lab's
-- architecture at the lab's size: Embedding(10000, 64, input_length=100),
-- LSTM(64), Dense(1, sigmoid); 1000 sequences.  Same engine underneath, so
-- this measures the C path's load time and overhead.  Run: bench/model/run.sh
local nn = require("lualab.nn")
local K = require("lualab.keras")
local M = require("lualab._model")
local L = K.layers

local threads = tonumber(os.getenv("THREADS") or "1")
nn.set_num_threads(threads)
local repeats = tonumber(os.getenv("REPEATS") or "5")
local n = tonumber(os.getenv("ROWS") or "1000")

K.utils.set_random_seed(1)
local m = K.Sequential{L.Embedding(10000, 64, {input_length = 100}), L.LSTM(64),
                       L.Dropout(0.5), L.Dense(1, {activation = "sigmoid"})}
local dir = os.tmpname()
os.remove(dir)
m:save(dir)
local f = assert(io.open(dir .. "/MLmodel", "w"))
f:write("artifact_path: model\nflavors:\n  keras:\n    loader_module: lualab.keras\n")
f:close()
local x = nn.randint(0, 10000, {n, 100})

local function median(fn)
    local ts = {}
    local out
    for i = 1, repeats do
        local t0 = os.clock()
        out = fn()
        ts[i] = os.clock() - t0
    end
    table.sort(ts)
    return ts[(repeats + 1) // 2], out
end

local t_kload, km = median(function() return K.models.load_model(dir) end)
local t_cload, cm = median(function() return assert(M.load(dir)) end)
local t_kpred, yk = median(function() return km:predict(x, {verbose = 0, batch_size = n}) end)
local t_cpred, yc = median(function() return cm:predict(x) end)
local d = (yk - yc):abs():max():item()
os.execute("rm -rf '" .. dir .. "'")

print(string.format("model: Embedding(10000,64)+LSTM(64)+Dense(1), %d rows x 100 steps, %d thread(s), median of %d (process CPU s)",
                    n, threads, repeats))
print(string.format("%-22s %10s %10s %8s", "step", "keras.lua", "C", "ratio"))
print(string.format("%-22s %10.4f %10.4f %8.2f", "load", t_kload, t_cload, t_kload / t_cload))
print(string.format("%-22s %10.4f %10.4f %8.2f", "predict", t_kpred, t_cpred, t_kpred / t_cpred))
print(string.format("max |keras - C| = %.3g (%s)", d, d < 1e-5 and "agree" or "DISAGREE"))
