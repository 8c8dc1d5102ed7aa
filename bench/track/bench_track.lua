-- Times mlflow.log_metric (100,000 calls) and search_runs over 10,000 runs.
-- Usage: lualab --lua bench_track.lua DIR REPEATS
local dir, repeats = arg[1], tonumber(arg[2] or "5")
local function median(t)
    table.sort(t)
    return t[(#t + 1) // 2]
end
local now = mlflow._now_ms

local log_times = {}
for r = 1, repeats do
    mlflow.set_tracking_uri("sqlite:///" .. dir .. "/log" .. r .. ".db")
    local t0 = now()
    mlflow.start_run()
    for i = 1, 100000 do mlflow.log_metric("loss", 1 / i, i) end
    mlflow.end_run()
    log_times[#log_times + 1] = (now() - t0) / 1000
end
local s = mlflow._store()
print(string.format("log_metric_100k_s %.3f points %d", median(log_times), s:count("metrics")))

mlflow.set_tracking_uri("sqlite:///" .. dir .. "/search.db")
mlflow.set_experiment("bench")
s = mlflow._store()
local exp = mlflow.get_experiment_by_name("bench").experiment_id
local t0 = now()
local lrs = { "0.1", "0.01", "0.001", "0.0001" }
for i = 1, 10000 do
    local id = s:create_run(exp, "r" .. i, "bench", "bench")
    s:log_param(id, "lr", lrs[i % 4 + 1])
    s:log_metric(id, "val_accuracy", (i % 1000) / 1000, nil, 0)
    s:log_metric(id, "val_loss", 1 - (i % 1000) / 1000, nil, 0)
    s:end_run(id, "FINISHED")
end
s:flush()
print(string.format("populate_10k_runs_s %.3f", (now() - t0) / 1000))
local filter = "metrics.val_accuracy > 0.9 and params.lr = '0.001'"
local times, n = {}, 0
for _ = 1, repeats do
    t0 = now()
    local rows = mlflow.search_runs { experiment_names = { "bench" }, filter = filter,
        order_by = { "metrics.val_loss ASC" } }
    times[#times + 1] = (now() - t0) / 1000
    n = #rows
end
print(string.format("search_10k_s %.4f rows %d", median(times), n))
