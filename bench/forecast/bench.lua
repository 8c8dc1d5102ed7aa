-- Forecasting benchmark, lualab side: every registered family on the
-- series collected by r_bench.R, each held out by its last season, scored
-- by sMAPE and MASE against R's forecasts of the same series from the same
-- run (r_results.txt), with CPU per series.
-- Usage: lualab --lua bench.lua OUTDIR
local dir = arg[1] or "."

local series = {}
for line in io.lines(dir .. "/series.txt") do
    local name, m, h, rest = line:match("^(%S+) (%d+) (%d+) (.*)$")
    local y = {}
    for tok in rest:gmatch("%S+") do y[#y + 1] = tonumber(tok) end
    series[#series + 1] = {name = name, m = tonumber(m), h = tonumber(h), y = y}
end

local rres = {} -- rres[model][name] = {cpu, method, fc}
for line in io.lines(dir .. "/r_results.txt") do
    local name, model, cpu, method, rest = line:match("^(%S+) (%S+) (%S+) (%S+) (.*)$")
    local fc = {}
    for tok in rest:gmatch("%S+") do fc[#fc + 1] = tonumber(tok) end
    rres[model] = rres[model] or {}
    rres[model][name] = {cpu = tonumber(cpu), method = method, fc = fc}
end

local function scores(s, fc)
    local n, h, m = #s.y - s.h, s.h, s.m
    local lag = (m > 1 and n > m) and m or 1
    local scale = 0
    for t = lag + 1, n do scale = scale + math.abs(s.y[t] - s.y[t - lag]) end
    scale = scale / (n - lag)
    local smape, mae = 0, 0
    for i = 1, h do
        local a, f = s.y[n + i], fc[i]
        local d = math.abs(a) + math.abs(f)
        smape = smape + (d > 0 and 200 * math.abs(a - f) / d or 0)
        mae = mae + math.abs(a - f)
    end
    smape, mae = smape / h, mae / h
    return smape, scale > 0 and mae / scale or nil
end

local function train(s)
    local t = {}
    for i = 1, #s.y - s.h do t[i] = s.y[i] end
    return t
end

local rows = {}
local same_form, forms = 0, 0
for _, fam in ipairs(forecast.families()) do
    local spec_ok = true
    local acc = {n = 0, ls = 0, lm = 0, rs = 0, rm = 0, lcpu = 0, rcpu = 0,
                 nl = 0, lsolo = 0, lmsolo = 0, lcpu_all = 0, nmase = 0, fails = 0}
    for _, s in ipairs(series) do
        local y = train(s)
        local spec = forecast[fam]{season_length = s.m}
        local t0 = os.clock()
        local fit = spec:fit(y)
        local fc
        if fit then
            local ok, p = pcall(fit.predict, fit, s.h, {level = {}})
            if ok and p then fc = p:col("mean"):to_table() end
        end
        local cpu = os.clock() - t0
        if not fc then
            acc.fails = acc.fails + 1
        else
            acc.nl = acc.nl + 1
            acc.lcpu_all = acc.lcpu_all + cpu
            local sm, ms = scores(s, fc)
            acc.lsolo = acc.lsolo + sm
            if ms then acc.lmsolo = acc.lmsolo + ms; acc.nmase = acc.nmase + 1 end
            local r = rres[fam] and rres[fam][s.name]
            if r and ms then
                local rsm, rms = scores(s, r.fc)
                acc.n = acc.n + 1
                acc.ls, acc.lm = acc.ls + sm, acc.lm + ms
                acc.rs, acc.rm = acc.rs + rsm, acc.rm + rms
                acc.lcpu, acc.rcpu = acc.lcpu + cpu, acc.rcpu + r.cpu
                if fam == "AutoETS" then
                    forms = forms + 1
                    if r.method == fit.method then same_form = same_form + 1 end
                end
            end
        end
    end
    rows[#rows + 1] = {fam = fam, acc = acc}
end

print(string.format("%d series (%s)", #series, dir))
print(string.format("%-22s %5s %8s %8s %6s %7s %7s %6s %9s %9s %7s %5s",
    "model", "n", "sMAPE", "R", "ratio", "MASE", "R", "ratio", "CPU ms", "R ms",
    "ratio", "fail"))
for _, r in ipairs(rows) do
    local a = r.acc
    if a.n > 0 then
        print(string.format("%-22s %5d %8.3f %8.3f %6.3f %7.3f %7.3f %6.3f %9.3f %9.3f %7.3f %5d",
            r.fam, a.n, a.ls / a.n, a.rs / a.n, a.ls / a.rs, a.lm / a.n, a.rm / a.n,
            a.lm / a.rm, 1000 * a.lcpu / a.n, 1000 * a.rcpu / a.n,
            a.lcpu / math.max(a.rcpu, 1e-9), a.fails))
    elseif a.nl > 0 then
        print(string.format("%-22s %5d %8.3f %8s %6s %7.3f %7s %6s %9.3f %9s %7s %5d",
            r.fam, a.nl, a.lsolo / a.nl, "-", "-", a.lmsolo / math.max(a.nmase, 1), "-",
            "-", 1000 * a.lcpu_all / a.nl, "-", "-", a.fails))
    end
end
if forms > 0 then
    print(string.format("AutoETS picks R's form on %d of %d series (%.0f%%)", same_form,
        forms, 100 * same_form / forms))
end
