-- The `automl` module: automl.forecast{} on a short battery series (the
-- lab's shape), the job's leaderboard / best / explain / plot, bad inputs,
-- save/load, and tracking through mlflow.

local function tmpdir()
    local p = os.tmpname()
    os.remove(p)
    assert(os.execute("mkdir -p '" .. p .. "'"))
    return p
end

local function errmsg(f, ...)
    local ok, e = pcall(f, ...)
    assert(not ok, "expected an error")
    return tostring(e)
end

-- 200 days of the lab's battery: Daily_Cycles_Used = k * Daily_Trip_Duration.
local battery = df.parse_csv((datasets.generate("daily-battery-time-series", {rows = 200})))
local excluded = {"Unnamed: 0", "Number_Of_Trips", "Lifetime_Cycles_Used", "Battery_Rated_Cycles"}
local train = battery:head(170)
local future = battery:tail(30)

local function settings(extra)
    local o = {data = train, target = "Daily_Cycles_Used", time = "Date", series = {"Battery_ID"},
        horizon = 30, primary_metric = "nrmse", exclude_columns = excluded, threads = 2,
        allowed = {"Ridge", "ElasticNet", "KNN", "Naive", "SeasonalNaive", "HistoricAverage",
                   "RandomWalkWithDrift", "SES", "Theta", "WindowAverage", "VotingEnsemble"}}
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
end

describe("automl.forecast", function()
    local job = automl.forecast(settings())

    it("ranks every allowed model by NRMSE, best first", function()
        local lb = job.leaderboard
        assert.equal(11, #lb)
        local cols = lb:columns()
        assert.same({"rank", "model", "nrmse"}, {cols[1], cols[2], cols[3]})
        for _, name in ipairs({"nmae", "r2", "spearman", "smape", "mase", "rmse", "mae", "mape",
                               "explained_variance", "median_ae", "normalized_median_ae",
                               "nrmsle", "rmsle", "fit_seconds", "error"}) do
            assert.truthy(lb[name], name)
        end
        local nrmse = lb.nrmse:to_table()
        for i = 2, #nrmse do assert.is_true(nrmse[i - 1] <= nrmse[i]) end
        -- The duration regressor makes the linear model (nearly) exact.
        assert.is_true(nrmse[1] <= 1e-3)
        assert.is_true(lb.r2:to_table()[1] > 0.999)
        -- A univariate baseline cannot see the duration.
        local models = lb.model:to_table()
        for i, m in ipairs(models) do
            if m == "Naive" then assert.is_true(nrmse[i] > 0.05) end
        end
        assert.equal(30, job.info.horizon)
        assert.equal(7, job.info.season_length)
    end)

    it("forecasts future rows from their durations", function()
        local fc = job.best:forecast(future)
        assert.same({"Battery_ID", "Date", "forecast", "lower", "upper"}, fc:columns())
        assert.equal(30, #fc)
        local got, want = fc.forecast:to_table(), future.Daily_Cycles_Used:to_table()
        for i = 1, 30 do assert.is_true(math.abs(got[i] - want[i]) < 1e-6) end
        local lo, hi = fc.lower:to_table(), fc.upper:to_table()
        for i = 1, 30 do assert.is_true(lo[i] <= got[i] and got[i] <= hi[i]) end
        assert.equal("forecast", job.best._flavor)
        local none, msg = job.best:forecast(30)
        assert.is_nil(none)
        assert.matches("missing future regressors: .*Daily_Trip_Duration", msg)
    end)

    it("explains the best model with Daily_Trip_Duration first", function()
        local e = job:explain()
        assert.same({"feature", "kind", "importance"}, e:columns())
        assert.equal("Daily_Trip_Duration", e.feature:to_table()[1])
        assert.equal("raw", e.kind:to_table()[1])
        local kinds = {}
        for _, k in ipairs(e.kind:to_table()) do kinds[k] = true end
        assert.is_true(kinds.engineered)
    end)

    it("draws its charts", function()
        for _, kind in ipairs({"leaderboard", "predicted_vs_true", "residuals", "horizon", "importance"}) do
            local p = job:plot(kind)
            assert.truthy(p, kind)
        end
        assert.matches("unknown kind 'pie'", errmsg(job.plot, job, "pie"))
    end)

    it("saves a pipeline that loads and forecasts the same", function()
        local dir = tmpdir() .. "/model"
        job.best:save(dir)
        local m = assert(automl.load(dir))
        local a, b = job.best:forecast(future), m:forecast(future)
        assert.same(a.forecast:to_table(), b.forecast:to_table())
        local c = require("lualab._model").load(dir):predict(future)
        assert.same(a.forecast:to_table(), c.forecast:to_table())
        local none, msg = automl.load(dir .. "/nope")
        assert.is_nil(none)
        assert.matches("nope", msg)
    end)
end)

describe("automl.forecast bad input", function()
    local function fails(extra, want)
        local msg = errmsg(automl.forecast, settings(extra))
        assert.truthy(msg:find(want, 1, true), msg)
    end

    it("names a missing or non-numeric target", function()
        fails({target = "Cycles"}, "target column 'Cycles' not found")
        fails({target = "Date", time = "Battery_Age_Days"}, "target column 'Date' is not numeric (date)")
    end)

    it("names the series and time of a bad time stamp", function()
        local dup = df.concat{train, train:tail(1)}
        fails({data = dup}, "duplicated time 2013-06-19 in series 0 (rows 170 and 171)")
        local t = df.parse_csv("Date,g,y\n2020-01-01,a,1\nyesterday,a,2\n")
        local msg = errmsg(automl.forecast, {data = t, target = "y", time = "Date", series = "g", horizon = 1})
        assert.truthy(msg:find("unparseable time 'yesterday' in row 2 (series a)", 1, true), msg)
    end)

    it("says the minimum length", function()
        fails({data = train:head(40)},
            "series 0 is too short: 40 rows, but horizon 30 with 1 fold 30 apart needs at least 44")
        fails({cv_folds = 6},
            "series 0 is too short: 170 rows, but horizon 30 with 6 folds 30 apart needs at least 194")
    end)

    it("refuses unknown models, metrics and an empty table", function()
        fails({allowed = {"Ridge", "DeepAR"}}, "allowed: unknown model 'DeepAR'")
        fails({blocked = {"Prophet2"}}, "blocked: unknown model 'Prophet2'")
        fails({primary_metric = "accuracy"}, "unknown primary_metric 'accuracy'")
        fails({data = train:head(0)}, "the table is empty")
        fails({horizon = 0}, "horizon must be a positive integer, got 0")
    end)

    it("raises at the caller's line, not inside the library", function()
        local ok, e = pcall(function() local j = automl.forecast(settings{target = "Cycles"}); return j end)
        assert.is_false(ok)
        assert.matches("automl_spec%.lua:%d+: target column 'Cycles' not found", e)
        assert.is_nil(e:find("_automl.lua", 1, true), e)
    end)

    it("names the CSV file a table came from", function()
        local path = tmpdir() .. "/train.csv"
        train:write_csv(path)
        fails({data = path, target = "Cycles"}, path .. ": target column 'Cycles' not found")
        fails({data = path, allowed = {"DeepAR"}}, "allowed: unknown model 'DeepAR'")
        local msg = errmsg(automl.forecast, settings{data = path .. ".gone"})
        assert.matches("train%.csv%.gone", msg)
    end)

    it("checks the deep learning settings", function()
        fails({enable_dnn = "yes"}, "option 'enable_dnn': boolean expected, got string")
        fails({allowed = {"LSTM"}}, "allowed: LSTM is a deep learning model; set enable_dnn = true")
        fails({enable_dnn = true, dnn_hidden = 0}, "dnn_hidden must be in 1..1024, got 0")
        fails({enable_dnn = true, dnn_epochs = -3}, "dnn_epochs must be in 1..100000, got -3")
    end)
end)

describe("automl LSTM (enable_dnn)", function()
    local function run() return automl.forecast(settings{enable_dnn = true, allowed = {"LSTM", "Naive"}}) end
    local job = run()

    local function row(lb, model)
        local m = lb.model:to_table()
        for i = 1, #m do if m[i] == model then return i end end
    end

    it("is a leaderboard row, best on the battery, reproducible", function()
        local lb = job.leaderboard
        assert.equal(2, #lb)
        assert.equal("LSTM", lb.model:to_table()[1])
        assert.is_true(job.info.enable_dnn)
        local nrmse = lb.nrmse:to_table()[1]
        assert.is_true(nrmse < 1e-4, tostring(nrmse))
        assert.is_true(lb.fit_seconds:to_table()[1] >= 0)
        local again = run()
        assert.equal(nrmse, again.leaderboard.nrmse:to_table()[row(again.leaderboard, "LSTM")])
        assert.same(job.best:forecast(future).forecast:to_table(),
            again.best:forecast(future).forecast:to_table())
    end)

    it("is absent unless enabled", function()
        local names = {}
        for _, m in ipairs(automl.models()) do names[m] = true end
        assert.is_true(names.LSTM)
        local plain = automl.forecast(settings{allowed = nil, blocked = {"AutoARIMA", "ARIMA", "Prophet",
            "XGBoost", "RandomForest", "ExtremeRandomTrees", "GradientBoosting", "MSTL"}, max_trials = 40})
        assert.is_nil(row(plain.leaderboard, "LSTM"))
    end)

    it("forecasts the future durations, and the saved pipeline scores the same", function()
        local fc = job.best:forecast(future)
        local got, want = fc.forecast:to_table(), future.Daily_Cycles_Used:to_table()
        for i = 1, 30 do assert.is_true(math.abs(got[i] - want[i]) < 1e-3 * math.abs(want[i]) + 1e-4) end
        local dir = tmpdir() .. "/model"
        job.best:save(dir)
        local m = assert(automl.load(dir))
        assert.same(got, m:forecast(future).forecast:to_table())
        local c = require("lualab._model").load(dir):predict(future)
        local cv = c.forecast:to_table()
        for i = 1, 30 do assert.is_true(math.abs(cv[i] - got[i]) <= 1e-12 * math.abs(got[i])) end
    end)

    it("refuses hostile weight shapes, naming the key", function()
        local dir = tmpdir() .. "/model"
        job.best:save(dir)
        local path = dir .. "/data.safetensors"
        local fh = assert(io.open(path, "rb"))
        local raw = fh:read("a")
        fh:close()
        local hl = string.unpack("<I8", raw)
        local hdr = assert(require("lualab.json").decode(raw:sub(9, 8 + hl)))
        local names = {}
        for k in pairs(hdr) do if k ~= "__metadata__" then names[#names + 1] = k end end
        table.sort(names, function(a, b) return hdr[a].data_offsets[1] < hdr[b].data_offsets[1] end)
        -- Drop the last value of reg.w_hh.
        local parts, data, off = {}, {}, 0
        for _, k in ipairs(names) do
            local e = hdr[k]
            local bytes = raw:sub(9 + hl + e.data_offsets[1], 8 + hl + e.data_offsets[2])
            if k == "reg.w_hh" then bytes = bytes:sub(1, #bytes - 8) end
            parts[#parts + 1] = string.format('"%s":{"dtype":"F64","shape":[%d],"data_offsets":[%d,%d]}',
                k, #bytes // 8, off, off + #bytes)
            data[#data + 1] = bytes
            off = off + #bytes
        end
        local h = "{" .. table.concat(parts, ",") .. "}"
        h = h .. string.rep(" ", (8 - #h % 8) % 8)
        fh = assert(io.open(path, "wb"))
        fh:write(string.pack("<I8", #h), h, table.concat(data))
        fh:close()
        local none, msg = automl.load(dir)
        assert.is_nil(none)
        assert.truthy(msg:find("reg: LSTM: w_hh has 1023 values, expected 1024 (4 x hidden x hidden)", 1, true), msg)
    end)
end)

describe("automl StatisticalEnsemble", function()
    -- A trend and a weekly pattern: the mean of AutoETS, AutoARIMA and Theta.
    local rows = {"t,y"}
    for i = 0, 69 do
        rows[#rows + 1] = string.format("%d,%.10g", i, 20 + 0.3 * i + ({0, 3, 5, 2, -1, -4, -2})[i % 7 + 1] + math.sin(i * 1.7))
    end
    local f = df.parse_csv(table.concat(rows, "\n") .. "\n")

    it("is a model that averages its members", function()
        local names = {}
        for _, m in ipairs(automl.models()) do names[m] = true end
        assert.is_true(names.StatisticalEnsemble)
        local job = automl.forecast{data = f, target = "y", time = "t", horizon = 7, season_length = 7,
            threads = 1, allowed = {"AutoETS", "AutoARIMA", "Theta", "StatisticalEnsemble"}}
        assert.equal(4, #job.leaderboard)
        local lb = job.leaderboard
        local models = lb.model:to_table()
        local mase = lb.mase:to_table()
        local row
        for i, m in ipairs(models) do if m == "StatisticalEnsemble" then row = i end end
        assert.truthy(row)
        assert.is_true(mase[row] < 2)
        -- The error of a mean is at most the mean of the errors.
        local sum, k = 0, 0
        for i, m in ipairs(models) do
            if m ~= "StatisticalEnsemble" then sum, k = sum + mase[i], k + 1 end
        end
        assert.equal(3, k)
        assert.is_true(mase[row] <= sum / 3 + 1e-12)
        assert.near(0.2498, mase[row], 1e-3)
    end)

    it("is a failed row without two of its members", function()
        local job = automl.forecast{data = f, target = "y", time = "t", horizon = 7, season_length = 7,
            threads = 1, allowed = {"Theta", "StatisticalEnsemble"}}
        local lb = job.leaderboard
        assert.equal(2, #lb)
        assert.equal("Theta", lb.model:to_table()[1])
        assert.equal("StatisticalEnsemble", lb.model:to_table()[2])
        assert.equal("StatisticalEnsemble needs two of AutoETS, AutoARIMA and Theta to succeed, got 1",
            lb.error:to_table()[2])
    end)
end)

describe("automl tracking", function()
    it("logs a parent run, a nested run per trial and the registered model", function()
        local dir = tmpdir()
        mlflow.set_tracking_uri("sqlite:///" .. dir .. "/t.db")
        local job = automl.forecast(settings{experiment = "battery-automl", register = "battery-cycles",
            allowed = {"Ridge", "Naive", "HistoricAverage"}})
        assert.truthy(job.run_id)
        local runs = mlflow.search_runs{experiment_names = {"battery-automl"}}
        assert.equal(4, #runs) -- the parent and three trials (no ensemble: not allowed)
        local parent = mlflow.get_run(job.run_id)
        assert.equal("30", parent.data.params.horizon)
        assert.is_true(parent.data.metrics.nrmse <= 1e-3)
        local versions = mlflow.search_model_versions("battery-cycles")
        assert.equal(1, #versions)
        local m = mlflow.load_model("models:/battery-cycles/1")
        local fc = m:forecast(future)
        assert.same(job.best:forecast(future).forecast:to_table(), fc.forecast:to_table())
        -- mlflow.log_model(job.best, "model") in a run of one's own
        mlflow.set_experiment("manual")
        local run = mlflow.start_run()
        local info = mlflow.log_model(job.best, "model")
        mlflow.end_run()
        assert.equal("runs:/" .. run.info.run_id .. "/model", info.model_uri)
        local m2 = mlflow.load_model(info.model_uri)
        assert.same(job.best:forecast(future).forecast:to_table(), m2:forecast(future).forecast:to_table())
    end)
end)
