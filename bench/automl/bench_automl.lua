-- bench/automl: automated ML on the series peer.R held out, one search per
-- frequency group (monthly, quarterly, annual), scored like the peer
-- (sMAPE in percent, MASE against the in-sample seasonal naive), against
-- the mean of R's ets, auto.arima and thetaf.  Usage:
--   lualab --lua bench_automl.lua DIR R_CPU_SECONDS [threads] [full|fast]
-- "fast" (default): the cheap families, Ridge and the ensemble; "ets" adds
-- AutoETS; "full" AutoETS and AutoARIMA; "combo" (the default of bench.sh)
-- the cheap families, AutoETS, AutoARIMA, their StatisticalEnsemble and the
-- VotingEnsemble.  AML_METRIC (default mase) sets the primary metric,
-- AML_FOLDS (default 2) the CV folds, AML_BOARD=1 prints each leaderboard.
local dir, rcpu, threads = arg[1] or ".", tonumber(arg[2] or "0"), tonumber(arg[3] or "1")
local models = {"Naive", "SeasonalNaive", "SES", "Holt", "Theta", "OptimizedTheta",
                "DynamicOptimizedTheta", "Ridge", "VotingEnsemble"}
if arg[4] == "ets" then
    models = {"Naive", "SeasonalNaive", "SES", "Theta", "OptimizedTheta",
              "DynamicOptimizedTheta", "AutoETS", "Ridge", "VotingEnsemble"}
elseif arg[4] == "full" then
    models = {"Naive", "SeasonalNaive", "SES", "Theta", "OptimizedTheta", "AutoETS",
              "AutoARIMA", "Ridge", "VotingEnsemble"}
elseif arg[4] == "combo" then
    models = {"Naive", "SeasonalNaive", "SES", "Theta", "OptimizedTheta", "AutoETS",
              "AutoARIMA", "StatisticalEnsemble", "VotingEnsemble"}
end

local series = df.read_csv(dir .. "/series.csv")
local hold = df.read_csv(dir .. "/holdout.csv")
local rfc = df.read_csv(dir .. "/r_fc.csv")

local function by_series(f, col)
    local out = {}
    local s, v = f.series:to_table(), f[col]:to_table()
    for i = 1, #s do
        out[s[i]] = out[s[i]] or {}
        table.insert(out[s[i]], v[i])
    end
    return out
end
local ytrain, ytest, rcomb = by_series(series, "y"), by_series(hold, "y"), by_series(rfc, "comb")
local mof = {}
do
    local s, m = series.series:to_table(), series.m:to_table()
    for i = 1, #s do mof[s[i]] = m[i] end
end

local function smape(y, f)
    local s = 0
    for i = 1, #y do
        local d = math.abs(y[i]) + math.abs(f[i])
        if d > 0 then s = s + 200 * math.abs(y[i] - f[i]) / d end -- 0/0 counts 0
    end
    return s / #y
end
local function mase(tr, y, f, m)
    local d, n = 0, 0
    for i = m + 1, #tr do d = d + math.abs(tr[i] - tr[i - m]); n = n + 1 end
    local e = 0
    for i = 1, #y do e = e + math.abs(y[i] - f[i]) end
    return (e / #y) / (d / n)
end

local picks = {}
local cpu0 = os.clock()
for _, m in ipairs({12, 4, 1}) do
    local part = series:filter(series.m:eq(m))
    local h = part.h:to_table()[1]
    local job = automl.forecast{data = part:select{"series", "t", "y"}, target = "y", time = "t",
        series = "series", horizon = h, season_length = m, primary_metric = os.getenv("AML_METRIC") or "mase",
        cv_folds = tonumber(os.getenv("AML_FOLDS") or "2"), allowed = models, explain = false, threads = threads}
    if os.getenv("AML_BOARD") then print(job.leaderboard:select{"model", "mase", "smape", "fit_seconds"}) end
    local fc = job.best:forecast(h)
    local got = by_series(fc, "forecast")
    for k, v in pairs(got) do picks[k] = v end
    io.write(string.format("m=%-2d series %3d  pick %-16s (CV mase %.3f)\n", m,
        job.info.n_series, job.info.best_model, job.info.best_metrics.mase))
end
local cpu = os.clock() - cpu0

local n, s1, s2, m1, m2 = 0, 0, 0, 0, 0
for name, y in pairs(ytest) do
    local tr, m = ytrain[name], mof[name]
    n = n + 1
    s1 = s1 + smape(y, picks[name]); s2 = s2 + smape(y, rcomb[name])
    m1 = m1 + mase(tr, y, picks[name], m); m2 = m2 + mase(tr, y, rcomb[name], m)
end
s1, s2, m1, m2 = s1 / n, s2 / n, m1 / n, m2 / n
print(string.format("series %d", n))
print(string.format("sMAPE  automl %.3f   R mean(ets, auto.arima, thetaf) %.3f   ratio %.3f", s1, s2, s1 / s2))
print(string.format("MASE   automl %.3f   R mean(ets, auto.arima, thetaf) %.3f   ratio %.3f", m1, m2, m1 / m2))
print(string.format("CPU/series  automl %.3f s (whole search)   R %.3f s (three fits)   ratio %.3f",
    cpu / n, rcpu / n, rcpu > 0 and (cpu / n) / (rcpu / n) or 0 / 0))
