-- automl.forecast{...}: the job table of the automated ML API on top of the
-- C search (automl._run).  The job: leaderboard (Frame), best (Forecaster),
-- explain(), plot(kind), cv(), info; tracking (experiment=, register=) goes
-- through the mlflow module.
local raise = require("lualab._args").raise
return function(M)
    local Job = {}
    Job.__index = Job

    local function doc(fn, text)
        if lualab and lualab.doc then lualab.doc(fn, text) end
        return fn
    end

    function Job:explain()
        local f, model = self._h:explanation()
        if not f then raise("explain: " .. tostring(model)) end
        self.explained_model = model
        return f
    end

    function Job:cv() return self._h:cv() end

    local function col(f, name) return f[name]:to_table() end

    function Job:plot(kind)
        local plot = require("lualab.plot")
        kind = kind or "leaderboard"
        local metric = self.info.primary_metric
        if kind == "leaderboard" then
            local lb = self.leaderboard
            local labels, values = {}, {}
            local models, vals = col(lb, "model"), col(lb, metric)
            for i = 1, #models do
                if vals[i] == vals[i] and vals[i] ~= nil then
                    labels[#labels + 1] = models[i]
                    values[#values + 1] = vals[i]
                end
            end
            return plot.barh{labels = labels, values = values,
                title = "Leaderboard (" .. metric .. ")", xlabel = metric}
        elseif kind == "predicted_vs_true" or kind == "residuals" or kind == "horizon" then
            local cv = self:cv()
            local a, p = col(cv, "actual"), col(cv, "predicted")
            if kind == "predicted_vs_true" then
                return plot.scatter{x = a, y = p, xlabel = "true", ylabel = "predicted",
                    title = "Predicted vs true (" .. self.info.best_model .. ", CV)"}
            elseif kind == "residuals" then
                local r = {}
                for i = 1, #a do r[i] = a[i] - p[i] end
                return plot.hist{y = r, xlabel = "residual (true - predicted)",
                    title = "Residuals (" .. self.info.best_model .. ", CV)"}
            else
                local steps = col(cv, "step")
                local sq, n = {}, {}
                for i = 1, #a do
                    local k = steps[i]
                    sq[k] = (sq[k] or 0) + (a[i] - p[i]) ^ 2
                    n[k] = (n[k] or 0) + 1
                end
                local xs, ys = {}, {}
                for k = 1, #sq do xs[k] = k; ys[k] = math.sqrt(sq[k] / n[k]) end
                return plot.line{x = xs, y = ys, xlabel = "steps ahead", ylabel = "RMSE",
                    title = "Error by forecast horizon (" .. self.info.best_model .. ", CV)"}
            end
        elseif kind == "importance" then
            local e = self:explain()
            local names, imps, kinds = col(e, "feature"), col(e, "importance"), col(e, "kind")
            local labels, values = {}, {}
            for i = 1, #names do
                if kinds[i] == "raw" and #labels < 15 then
                    labels[#labels + 1] = names[i]
                    values[#values + 1] = imps[i]
                end
            end
            return plot.barh{labels = labels, values = values,
                title = "Permutation importance (" .. tostring(self.explained_model) .. ")",
                xlabel = "RMSE increase"}
        end
        raise("plot: unknown kind '" .. tostring(kind) ..
            "' (leaderboard, predicted_vs_true, residuals, horizon, importance)")
    end

    function Job:__tostring()
        local i = self.info
        return string.format("AutoML job: %d models, best %s (%s %.6g)", #i.trials,
            tostring(i.best_model), i.primary_metric,
            i.best_metrics and i.best_metrics[i.primary_metric] or 0 / 0)
    end

    -- Tracking: a parent run with the settings and best metrics, a nested
    -- run per trial, the best pipeline logged (and registered).
    local function track(job, opts)
        local mlflow = require("lualab.mlflow")
        mlflow.set_experiment(opts.experiment)
        local info = job.info
        local parent = mlflow.start_run{run_name = "automl-" .. tostring(opts.target)}
        local ok, err = pcall(function()
            mlflow.log_params{task = "forecasting", target = opts.target, time = opts.time,
                horizon = info.horizon, primary_metric = info.primary_metric,
                cv_folds = info.cv_folds, cv_step = info.cv_step,
                season_length = info.season_length, enable_dnn = tostring(info.enable_dnn),
                series = type(opts.series) == "table" and table.concat(opts.series, ",") or opts.series}
            for _, t in ipairs(info.trials) do
                local child = mlflow.start_run{run_name = t.model, nested = true}
                mlflow.log_param("model", t.model)
                if t.ok then
                    mlflow.log_metrics(t.metrics)
                    mlflow.log_metric("fit_seconds", t.fit_seconds)
                else
                    mlflow.set_tag("error", t.error)
                end
                mlflow.end_run(t.ok and "FINISHED" or "FAILED")
            end
            if info.best_metrics then mlflow.log_metrics(info.best_metrics) end
            if job.best then
                mlflow.set_tag("best_model", info.best_model)
                job.logged = mlflow.log_model(job.best, "model",
                    {registered_model_name = opts.register})
            end
        end)
        mlflow.end_run(ok and "FINISHED" or "FAILED")
        if not ok then error(err, 0) end
        job.run_id = parent.info.run_id
    end

    -- mlflow.load_model finds saved pipelines through this loader.
    local ok, mlflow = pcall(require, "lualab.mlflow")
    if ok and type(mlflow) == "table" and type(mlflow.flavors) == "table" then
        mlflow.flavors.forecast = {load = doc(function(dir) return assert(M.load(dir)) end,
            "mlflow.flavors.forecast.load(dir) -> pipeline -- The forecast flavor's loader: automl.load(dir) of a saved pipeline (used by mlflow.load_model).")}
    end

    M.forecast = doc(function(opts)
        if type(opts) ~= "table" then
            raise("automl.forecast: options table expected, got " .. type(opts))
        end
        -- Raised from the caller's line, not from this wrapper's.
        local ok, h = pcall(M._run, opts)
        if not ok then error(h, 2) end
        local job = setmetatable({_h = h}, Job)
        job.leaderboard = h:leaderboard()
        job.best = h:take_best()
        job.info = h:info()
        if opts.experiment then track(job, opts) end
        return job
    end, "automl.forecast{data=, target=, time=, series=, horizon=, primary_metric='nrmse', " ..
        "exclude_columns=, season_length='auto', cv_folds='auto', cv_step='auto', allowed=, blocked=, " ..
        "exit_score=, timeout=, max_trials=, threads=, explain=true, enable_dnn=false, dnn_hidden=16, " ..
        "dnn_epochs=60, experiment=, register=, progress=} " ..
        "-> job -- Featurize, cross-validate every model family, rank them (job.leaderboard), " ..
        "refit the best (job.best:forecast(h | future)), explain it (job:explain()).")
end
