-- forecast: the Lua API of the forecasting models (shapes, values against
-- R's forecast package from tests/fixtures/forecast/, made by
-- tests/fixtures/make_forecast.R) and every bad input with its message.

local function fixture(name) return (read_fixture("forecast", name)) end
local close = close_to

local function col(frame, name) return frame:col(name):to_table() end

describe("forecast", function()
    local ap = fixture("AirPassengers")

    it("fits AutoETS and predicts a Frame of step, mean and intervals", function()
        local fit = forecast.AutoETS{season_length = 12}:fit(ap.y)
        assert.equal("ETS(M,Ad,M)", fit.method)
        assert.equal("AutoETS", fit.family)
        assert.is_true(close(fit.aicc, ap.ets_aicc[1], 1e-6))
        local p = fit:predict(18)
        assert.same({"step", "mean", "lo_80", "hi_80", "lo_95", "hi_95"}, p:columns())
        assert.equal(18, #p)
        local mean, lo80, hi95 = col(p, "mean"), col(p, "lo_80"), col(p, "hi_95")
        for i = 1, 18 do
            assert.equal(i, col(p, "step")[i])
            assert.is_true(close(mean[i], ap.ets_mean[i], 1e-6))
            assert.is_true(close(lo80[i], ap.ets_lo80[i], 1e-6))
            assert.is_true(close(hi95[i], ap.ets_hi95[i], 1e-6))
        end
        local q = fit:predict(3, {level = {90}})
        assert.same({"step", "mean", "lo_90", "hi_90"}, q:columns())
        assert.is_true(col(q, "lo_90")[1] < col(q, "mean")[1])
    end)

    it("reports params, fitted values and residuals", function()
        local fit = forecast.AutoETS{season_length = 12}:fit(ap.y)
        local names = {}
        for k in pairs(fit.params) do names[#names + 1] = k end
        table.sort(names)
        assert.equal(18, #names) -- alpha beta gamma phi l b s1..s12
        assert.is_true(close(fit.params.alpha, ap.ets_par[1], 1e-4))
        local fitted, res = fit:fitted(), fit:residuals()
        assert.equal(144, #fitted)
        for i = 1, 144 do
            assert.is_true(math.abs(ap.y[i] - fitted[i] - res[i]) < 1e-9)
        end
        assert.is_true(fit.sigma2 > 0 and fit.n == 144)
    end)

    it("takes a Column or a Tensor as y", function()
        local a = forecast.Theta{season_length = 12}:fit(ap.y):predict(4)
        local b = forecast.Theta{season_length = 12}:fit(df.column(ap.y)):predict(4)
        local c = forecast.Theta{season_length = 12}:fit(nn.tensor(ap.y)):predict(4)
        for i = 1, 4 do
            assert.is_true(close(col(a, "mean")[i], ap.theta_mean[i], 1e-9))
            assert.equal(col(a, "mean")[i], col(b, "mean")[i])
            -- a Tensor holds float32 values
            assert.is_true(close(col(c, "mean")[i], ap.theta_mean[i], 1e-5))
        end
    end)

    it("matches R's baselines", function()
        local nile = fixture("Nile")
        local cases = {{forecast.Naive{}, "naive"}, {forecast.HistoricAverage{}, "mean"},
                       {forecast.RandomWalkWithDrift{}, "drift"}}
        for _, c in ipairs(cases) do
            local p = c[1]:fit(nile.y):predict(10)
            for i = 1, 10 do
                assert.is_true(close(col(p, "mean")[i], nile[c[2] .. "_mean"][i], 1e-9))
                assert.is_true(close(col(p, "hi_95")[i], nile[c[2] .. "_hi95"][i], 1e-7))
            end
        end
        local p = forecast.SeasonalNaive{season_length = 12}:fit(ap.y):predict(24)
        for i = 1, 24 do
            assert.is_true(close(col(p, "lo_80")[i], ap.snaive_lo80[i], 1e-7))
        end
    end)

    it("has a constructor with a doc string for every family", function()
        for _, name in ipairs(forecast.families()) do
            assert.is_function(forecast[name])
            assert.matches("forecast%." .. name, tostring(forecast[name]{}))
        end
        assert.is_true(#forecast.families() >= 13)
    end)

    it("fixed forms SES, Holt and HoltWinters", function()
        assert.equal("ETS(A,N,N)", forecast.SES{}:fit(ap.y).method)
        assert.equal("ETS(A,Ad,N)", forecast.Holt{damped = true}:fit(ap.y).method)
        assert.equal("ETS(M,A,M)",
            forecast.HoltWinters{season_length = 12, seasonal = "multiplicative"}:fit(ap.y).method)
        assert.equal("ETS(A,A,A)", forecast.HoltWinters{season_length = 12}:fit(ap.y).method)
    end)

    it("forecasts a constant series as its constant", function()
        local y = {}
        for i = 1, 30 do y[i] = 5 end
        for _, name in ipairs({"AutoETS", "Theta", "Naive", "OptimizedTheta"}) do
            local p = forecast[name]{season_length = 4}:fit(y):predict(3)
            for i = 1, 3 do assert.is_true(math.abs(col(p, "mean")[i] - 5) < 1e-9) end
        end
    end)

    it("fills NA on request", function()
        local y = {1, 2, 0 / 0, 4, 5, df.NA, 7, 8}
        local fit = forecast.Naive{}:fit(y, {fill = "interpolate"})
        assert.equal(8, col(fit:predict(1), "mean")[1])
        local g = forecast.Naive{}:fit({0 / 0, 3, 0 / 0}, {fill = "ffill"})
        assert.equal(3, col(g:predict(1), "mean")[1])
        assert.equal(2, g.n) -- the leading NA is dropped
    end)

    it("fits many series of a long frame on two threads", function()
        local ids, dates, ys = {}, {}, {}
        for s, name in ipairs({"a", "b", "c"}) do
            for i = 0, 47 do
                ids[#ids + 1] = name
                dates[#dates + 1] = string.format("%04d-%02d-15", 2020 + i // 12, i % 12 + 1)
                ys[#ys + 1] = ap.y[i + 1 + 12 * (s - 1)]
            end
        end
        local f = df.frame{{"id", ids}, {"Date", df.column(dates, "date")}, {"y", ys}}
        local fits = forecast.fit{data = f, target = "y", time = "Date", series = "id",
                                  model = forecast.AutoETS{}, threads = 2}
        assert.equal("monthly", fits.frequency)
        assert.equal(12, fits.season_length)
        local p = fits:predict(30)
        assert.same({"id", "Date", "mean", "lo_95", "hi_95"}, p:columns())
        assert.equal(90, #p)
        assert.equal("date", p:col("Date"):dtype())
        local d = col(p, "Date")
        assert.equal("2024-01-15", d[1])
        assert.equal("2026-06-15", d[30])
        assert.equal("b", col(p, "id")[31])
        -- each series equals a fit of its own
        local one = forecast.AutoETS{season_length = 12}:fit({table.unpack(ap.y, 13, 60)})
        assert.is_true(close(col(p, "mean")[31], col(one:predict(1), "mean")[1], 1e-12))
        -- one thread gives the same
        local q = forecast.fit{data = f, target = "y", time = "Date", series = "id",
                               model = forecast.AutoETS{}, threads = 1}:predict(30)
        assert.same(col(p, "mean"), col(q, "mean"))
    end)

    it("infers daily, weekly, yearly and integer steps", function()
        local function freq(dates, kind)
            local y = {}
            for i = 1, #dates do y[i] = i % 3 + 10 end
            local f = df.frame{{"t", kind and df.column(dates, kind) or dates}, {"y", y}}
            return forecast.fit{data = f, target = "y", time = "t", model = forecast.Naive{}}
        end
        local daily, weekly, yearly, ints = {}, {}, {}, {}
        for i = 1, 20 do
            daily[i] = string.format("2024-01-%02d", i)
            weekly[i] = os.date("!%Y-%m-%d", 1704067200 + (i - 1) * 7 * 86400)
            yearly[i] = string.format("%04d-01-01", 1990 + i)
            ints[i] = 10 * i
        end
        local fd = freq(daily, "date")
        assert.equal("daily", fd.frequency)
        assert.equal(7, fd.season_length)
        assert.equal("2024-01-21", col(fd:predict(1), "t")[1])
        local fw = freq(weekly, "date")
        assert.equal("weekly", fw.frequency)
        assert.equal(52, fw.season_length)
        local fy = freq(yearly, "date")
        assert.equal("yearly", fy.frequency)
        assert.equal("2011-01-01", col(fy:predict(1), "t")[1])
        local fi = freq(ints)
        assert.equal(1, fi.season_length)
        assert.same({210, 220}, col(fi:predict(2), "t"))
    end)

    describe("bad input", function()
        local spec = forecast.AutoETS{season_length = 12}
        it("too short for the season", function()
            local fit, msg = forecast.HoltWinters{season_length = 12}:fit({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
            assert.is_nil(fit)
            assert.equal("series too short: HoltWinters with season_length 12 needs at least "
                .. "21 observations, got 10", msg)
        end)
        it("NA in the target", function()
            local fit, msg = spec:fit({1, 2, 0 / 0, 4})
            assert.is_nil(fit)
            assert.equal('AutoETS: the target has a missing value (NA) at position 3; use fill '
                .. '= "ffill" or "interpolate"', msg)
        end)
        it("non-positive data with a multiplicative form", function()
            local y = {table.unpack(ap.y)}
            y[5] = 0
            local fit, msg = forecast.AutoETS{season_length = 12, model = "MAM"}:fit(y, {name = "AP"})
            assert.is_nil(fit)
            assert.equal("series 'AP': AutoETS: a multiplicative error or season (model 'MAM') "
                .. "needs positive data; the series has values <= 0", msg)
        end)
        it("a non-numeric target", function()
            assert.has_error(function() spec:fit(df.column({"a", "b"})) end,
                "forecast: y must be numeric, got a string column")
            assert.has_error(function() spec:fit({1, "x"}) end,
                "forecast: y[2] is not a number (string)")
            assert.has_error(function() spec:fit("abc") end,
                "forecast: y must be a table, Column or Tensor of numbers, got string")
        end)
        it("h <= 0 and bad levels", function()
            local fit = forecast.Naive{}:fit({1, 2, 3})
            assert.has_error(function() fit:predict(0) end,
                "forecast: h must be a positive integer, got 0")
            assert.has_error(function() fit:predict(2, {level = {120}}) end,
                "forecast: level must be between 0 and 100, got 120.0")
        end)
        it("unknown options and models", function()
            assert.has_error(function() forecast.AutoETS{sesaon_length = 12} end,
                "forecast.AutoETS: unknown option 'sesaon_length'")
            assert.has_error(function() forecast.HoltWinters{seasonal = "both"} end,
                'forecast.HoltWinters: seasonal must be "additive" or "multiplicative", got \'both\'')
            assert.has_error(function() forecast.Naive{}:fit({1, 2}, {fill = "zero"}) end,
                'forecast: fill must be "ffill" or "interpolate", got \'zero\'')
        end)
        it("regressors on a model that takes none", function()
            local fit, msg = forecast.Naive{}:fit({1, 2, 3}, {X = {temp = {1, 2, 3}}})
            assert.is_nil(fit)
            assert.equal("Naive takes no exogenous regressors (got 1)", msg)
            local X = df.frame{{"a", {1, 2, 3}}, {"b", {4, 5, 6}}}
            fit, msg = forecast.Naive{}:fit({1, 2, 3}, {X = X})
            assert.equal("Naive takes no exogenous regressors (got 2)", msg)
            assert.has_error(function()
                forecast.Naive{}:fit({1, 2, 3}, {X = {a = {1, 2}}})
            end, "forecast: X has 2 rows, the series 3")
            assert.has_error(function()
                forecast.Naive{}:fit({1, 2, 3}, {X = {a = {1, 0 / 0, 3}}})
            end, "forecast: regressor 'a' has a missing value (NA) at row 2")
        end)
        it("panel errors name the series", function()
            local f = df.frame{{"id", {"a", "a", "a", "b"}}, {"t", {1, 2, 3, 1}},
                               {"y", {1, 2, 3, 4}}}
            assert.has_error(function()
                forecast.fit{data = f, target = "y", time = "t", series = "id",
                             model = forecast.Naive{}}
            end, "forecast.fit: series 'b': series too short: Naive needs at least 2 "
                .. "observations, got 1")
            local fits = forecast.fit{data = f, target = "y", time = "t", series = "id",
                                      model = forecast.Naive{}, on_error = "skip"}
            assert.equal("series too short: Naive needs at least 2 observations, got 1",
                fits.errors.b)
            assert.equal(2, #fits:predict(2))
            assert.has_error(function()
                forecast.fit{data = f, target = "y", time = "when", model = forecast.Naive{}}
            end, "forecast.fit: the time column 'when' is not in data")
        end)
    end)
end)
