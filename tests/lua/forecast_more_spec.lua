-- forecast: Prophet, MSTL and the Croston family through the Lua API, with
-- R's numbers from tests/fixtures/forecast_more/ (made by
-- tests/fixtures/make_forecast_more.R).

local function fixture(name) return (read_fixture("forecast_more", name)) end
local close = close_to

local function col(frame, name) return frame:col(name):to_table() end

describe("forecast Prophet, MSTL, Croston", function()
    it("Croston equals R's croston() and SBA is 0.95 of it", function()
        local fx = fixture("croston_demand")
        local fit = forecast.Croston{}:fit(fx.y)
        assert.equal("Croston", fit.method)
        assert.equal(0.1, fit.params.alpha_demand)
        local p = fit:predict(6)
        for i = 1, 6 do assert.is_true(close(col(p, "mean")[i], fx.mean[i], 1e-12)) end
        local fitted = fit:fitted()
        for t = 2, #fx.y do assert.is_true(close(fitted[t], fx.fitted[t], 1e-12)) end
        local sba = forecast.CrostonSBA{}:fit(fx.y):predict(1)
        assert.is_true(close(col(sba, "mean")[1], 0.95 * fx.mean[1], 1e-12))
        local opt = forecast.CrostonOptimized{}:fit(fx.y)
        assert.is_true(opt.params.alpha_demand >= 0.1 and opt.params.alpha_demand <= 0.3)
        assert.is_true(col(p, "lo_95")[1] >= 0)
    end)

    it("Croston refuses negative demand", function()
        local fit, msg = forecast.Croston{}:fit({0, 3, -2, 0})
        assert.is_nil(fit)
        assert.equal("Croston needs non-negative demand, got -2 at position 3", msg)
    end)

    it("MSTL with two seasons forecasts as R's forecast(mstl())", function()
        local fx = fixture("mstl_taylor")
        local fit = forecast.MSTL{season_lengths = {48, 336}}:fit(fx.y)
        assert.equal("MSTL(48,336) + ETS(A,N,N)", fit.method)
        local p = fit:predict(96)
        local mean, lo, hi = col(p, "mean"), col(p, "lo_95"), col(p, "hi_95")
        for i = 1, 96 do
            assert.is_true(close(mean[i], fx.mean[i], 1e-6))
            assert.is_true(close(lo[i], fx.lo95[i], 1e-6))
            assert.is_true(close(hi[i], fx.hi95[i], 1e-6))
        end
    end)

    it("MSTL with one season is R's stlf()", function()
        local fx = fixture("mstl_nottem")
        local p = forecast.MSTL{season_length = 12}:fit(fx.y):predict(24)
        for i = 1, 24 do assert.is_true(close(col(p, "mean")[i], fx.mean[i], 1e-6)) end
        local fit, msg = forecast.MSTL{season_lengths = {7, 365}}:fit({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
        assert.is_nil(fit)
        assert.equal("series too short: MSTL needs at least 15 observations, got 10", msg)
    end)

    it("Prophet recovers a target linear in a regressor (the lab's case)", function()
        local x, y = {}, {}
        for i = 1, 230 do
            x[i] = 60 + 25 * math.sin(i * 0.37) + (i * 7919 % 13)
            y[i] = 0.00246 * x[i]
        end
        local xs, ys, xf = {}, {}, {}
        for i = 1, 200 do xs[i], ys[i] = x[i], y[i] end
        for i = 201, 230 do xf[#xf + 1] = x[i] end
        local fit = forecast.Prophet{seed = 3}:fit(ys, {X = {duration = xs}})
        assert.equal("Prophet(25 changepoints)", fit.method)
        assert.is_true(close(fit.params.duration, 0.00246, 1e-6))
        assert.is_nil(fit.params.coef_x1)
        assert.is_number(fit.params.beta_duration)
        local p = fit:predict(30, {X = {duration = xf}})
        local mean, lo, hi = col(p, "mean"), col(p, "lo_95"), col(p, "hi_95")
        local sse, ss, bar = 0, 0, 0
        for i = 1, 30 do bar = bar + y[200 + i] / 30 end
        for i = 1, 30 do
            sse = sse + (y[200 + i] - mean[i]) ^ 2
            ss = ss + (y[200 + i] - bar) ^ 2
            assert.is_true(lo[i] <= mean[i] and mean[i] <= hi[i])
        end
        assert.is_true(1 - sse / ss > 0.9999)
        -- the same seed gives the same intervals
        local q = fit:predict(30, {X = {duration = xf}})
        assert.same(lo, col(q, "lo_95"))
        local none, msg = pcall(fit.predict, fit, 30)
        assert.is_false(none)
        assert.truthy(tostring(msg):find("future regressors", 1, true))
    end)
end)
