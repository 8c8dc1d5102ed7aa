-- `lualab automl forecast DATA.csv --target COL --time COL ...`: the lab's
-- no-code path.  Progress lines while the search runs (on a terminal a live
-- leaderboard table redrawn after each trial, and a progress bar), then the
-- leaderboard, the best model's metrics, its top features and where it was logged.
-- Exit codes: 0 ok, 1 no model succeeded, 2 usage or data error, 4 timeout
-- with no model.
local M = {}

M.usage = [[
usage: lualab automl forecast DATA.csv --target COL --time COL --horizon N
           [--series COL,...] [--metric nrmse] [--exclude COL,...]
           [--cv-folds N] [--cv-step N] [--season-length N]
           [--exit-score X] [--timeout S] [--max-trials N] [--threads N]
           [--allowed M,...] [--blocked M,...] [--experiment NAME]
           [--register NAME] [--future FUTURE.csv] [--out forecast.csv]
           [--save DIR] [--quiet] [--enable-dnn] [--dnn-hidden N]
           [--dnn-epochs N]
       lualab automl models           list the model names
]]

local function split(s)
    local t = {}
    for part in s:gmatch("[^,]+") do t[#t + 1] = part end
    return t
end

local function usage_error(msg)
    io.stderr:write("lualab automl: ", msg, "\nsee lualab automl --help\n")
    return 2
end

local flags = {
    ["--target"] = {"target"}, ["--time"] = {"time"}, ["--series"] = {"series", split},
    ["--horizon"] = {"horizon", "int"}, ["--metric"] = {"primary_metric"},
    ["--exclude"] = {"exclude_columns", split}, ["--cv-folds"] = {"cv_folds", "int"},
    ["--cv-step"] = {"cv_step", "int"}, ["--exit-score"] = {"exit_score", "num"},
    ["--timeout"] = {"timeout", "num"}, ["--threads"] = {"threads", "int"},
    ["--allowed"] = {"allowed", split}, ["--blocked"] = {"blocked", split},
    ["--experiment"] = {"experiment"}, ["--register"] = {"register"},
    ["--season-length"] = {"season_length", "int"}, ["--max-trials"] = {"max_trials", "int"},
    ["--dnn-hidden"] = {"dnn_hidden", "int"}, ["--dnn-epochs"] = {"dnn_epochs", "int"},
}

function M.main(args)
    local sub = args[1]
    if sub == nil or sub == "--help" or sub == "-h" then
        io.stdout:write(M.usage)
        return sub and 0 or 2
    end
    local automl = require("lualab.automl")
    if sub == "models" then
        for _, m in ipairs(automl.models()) do print(m) end
        return 0
    end
    if sub ~= "forecast" then return usage_error("unknown command '" .. sub .. "'") end
    local opts = {progress = true, threads = 0}
    local out, future, save, quiet
    local i = 2
    while i <= #args do
        local a = args[i]
        local f = flags[a]
        if a == "--out" or a == "--future" or a == "--save" then
            if not args[i + 1] then return usage_error(a .. " needs a value") end
            if a == "--out" then out = args[i + 1]
            elseif a == "--future" then future = args[i + 1]
            else save = args[i + 1] end
            i = i + 2
        elseif a == "--enable-dnn" then
            opts.enable_dnn = true
            i = i + 1
        elseif a == "--quiet" then
            quiet = true
            opts.progress = false
            i = i + 1
        elseif f then
            local v = args[i + 1]
            if not v then return usage_error(a .. " needs a value") end
            if f[2] == "int" then
                local n = math.tointeger(tonumber(v))
                if not n then return usage_error(a .. " expects an integer, got '" .. v .. "'") end
                v = n
            elseif f[2] == "num" then
                local n = tonumber(v)
                if not n then return usage_error(a .. " expects a number, got '" .. v .. "'") end
                v = n
            elseif type(f[2]) == "function" then
                v = f[2](v)
            end
            opts[f[1]] = v
            i = i + 2
        elseif a:sub(1, 2) == "--" then
            return usage_error("unknown option " .. a)
        elseif opts.data then
            return usage_error("unexpected argument '" .. a .. "'")
        else
            opts.data = a
            i = i + 1
        end
    end
    if not opts.data then return usage_error("no DATA.csv given") end
    for _, need in ipairs({"target", "time", "horizon"}) do
        if not opts[need] then return usage_error("--" .. need .. " is required") end
    end
    if opts.threads == 0 then opts.threads = nil end
    local fh = io.open(opts.data, "r")
    if not fh then
        io.stderr:write("lualab automl: cannot open ", opts.data, "\n")
        return 2
    end
    fh:close()
    local ok, job = pcall(automl.forecast, opts)
    if not ok then
        io.stderr:write("lualab automl: ", tostring(job), "\n")
        return 2
    end
    local info = job.info
    local w = io.stdout
    -- On a terminal the live table (lualab.display_live) already shows it.
    if not quiet and not lualab.display_live() then
        w:write("\n", tostring(job.leaderboard:select{"rank", "model", info.primary_metric,
            "nmae", "r2", "fit_seconds"}), "\n")
    end
    if not job.best then
        for _, t in ipairs(info.trials) do
            if t.error then io.stderr:write("  ", t.model, ": ", t.error, "\n") end
        end
        io.stderr:write("lualab automl: no model succeeded",
            info.timed_out and " before the timeout" or "", "\n")
        return info.timed_out and 4 or 1
    end
    w:write(string.format("\nbest model: %s (%d folds %d apart, horizon %d, season %d)\n",
        info.best_model, info.cv_folds, info.cv_step, info.horizon, info.season_length))
    local names = {}
    for k in pairs(info.best_metrics) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do
        w:write(string.format("  %-22s %.6g\n", k, info.best_metrics[k]))
    end
    local ex = job._h:explanation()
    if ex then
        w:write("top features (", tostring(select(2, job._h:explanation())), ", permutation importance):\n")
        local f, k, v = ex.feature:to_table(), ex.kind:to_table(), ex.importance:to_table()
        local shown = 0
        for j = 1, #f do
            if k[j] == "raw" and shown < 5 then
                w:write(string.format("  %-22s %.6g\n", f[j], v[j]))
                shown = shown + 1
            end
        end
    end
    if job.run_id then
        w:write("logged: run ", job.run_id, " (experiment ", opts.experiment, ")",
            opts.register and (", registered as " .. opts.register) or "", "\n")
    end
    if save then
        job.best:save(save)
        w:write("saved: ", save, "\n")
    end
    if out then
        local fc, msg
        if future then
            local fut, err = df.read_csv(future)
            if not fut then
                io.stderr:write("lualab automl: ", tostring(err), "\n")
                return 2
            end
            fc, msg = job.best:forecast(fut)
        else
            fc, msg = job.best:forecast(info.horizon)
        end
        if not fc then
            io.stderr:write("lualab automl: forecast: ", msg, "\n")
            return 2
        end
        local okw, werr = fc:write_csv(out)
        if not okw then
            io.stderr:write("lualab automl: ", tostring(werr), "\n")
            return 2
        end
        w:write("forecast: ", out, " (", #fc, " rows)\n")
    end
    return 0
end

return M
