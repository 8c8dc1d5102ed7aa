-- The lab's Exercise 1 setting on its battery data (1539 days, horizon 30,
-- NRMSE, the lab's excluded columns): every model, the leaderboard, the
-- best NRMSE, the ARIMA models' NRMSE and the explanation's top features.
-- With "dnn" as the third argument the LSTM (enable_dnn) takes part too.
--   lualab --lua bench/automl/battery.lua [threads] [exit_score] [dnn]
local threads, exit_score = tonumber(arg[1] or "2"), tonumber(arg[2] or "")
local enable_dnn = arg[3] == "dnn"
local path = assert(datasets.fetch("daily-battery-time-series"))
local f = df.read_csv(path)
local t0, c0 = os.time(), os.clock()
local job = automl.forecast{data = f, target = "Daily_Cycles_Used", time = "Date",
    series = {"Battery_ID"}, horizon = 30, primary_metric = "nrmse",
    exclude_columns = {"Unnamed: 0", "Number_Of_Trips", "Lifetime_Cycles_Used", "Battery_Rated_Cycles"},
    exit_score = exit_score, threads = threads, progress = true, enable_dnn = enable_dnn}
print(job.leaderboard:select{"rank", "model", "nrmse", "nmae", "r2", "fit_seconds", "error"}:head(40))
print(string.format("models on the leaderboard %d, best %s NRMSE %.3g, wall %d s, CPU %.1f s",
    #job.leaderboard, job.info.best_model, job.info.best_metrics.nrmse, os.time() - t0, os.clock() - c0))
for _, t in ipairs(job.info.trials) do
    if t.model:find("ARIMA") then
        print(t.model, t.ok and string.format("NRMSE %.5f", t.metrics.nrmse) or t.error)
    end
end
print(job:explain():head(8))
