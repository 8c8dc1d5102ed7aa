-- forecast.ARIMA and forecast.AutoARIMA from Lua against R forecast 8.20
-- (tests/fixtures/forecast_arima/, made by
-- tests/fixtures/make_forecast_arima.R): chosen order, likelihood,
-- coefficients by name, forecasts with intervals, regressors, bad input.

local function fixture(name)
    local fx, text = read_fixture("forecast_arima", name)
    for key, rest in pairs(text) do fx[key .. "_text"] = rest end
    return fx
end
local close = close_to

local function col(frame, name) return frame:col(name):to_table() end

-- rows of k regressors (row-major in the fixture) as named columns
local function columns(flat, k, names)
    local out = {}
    for j = 1, k do out[names[j]] = {} end
    for i = 0, #flat // k - 1 do
        for j = 1, k do out[names[j]][i + 1] = flat[i * k + j] end
    end
    return out
end

describe("forecast ARIMA", function()
    it("AutoARIMA picks R's order and forecasts R's numbers", function()
        local fx = fixture("auto_AirPassengers")
        local fit = forecast.AutoARIMA{season_length = 12}:fit(fx.y)
        assert.equal("ARIMA(2,1,1)(0,1,0)[12]", fit.method)
        assert.equal(fx.method_text, fit.method)
        assert.is_true(close(fit.aicc, fx.aicc[1], 1e-6))
        local p = fit:predict(24)
        local mean, lo, hi = col(p, "mean"), col(p, "lo_95"), col(p, "hi_80")
        for i = 1, 24 do
            assert.is_true(close(mean[i], fx.mean_fc[i], 1e-5))
            assert.is_true(close(lo[i], fx.lo95[i], 1e-5))
            assert.is_true(close(hi[i], fx.hi80[i], 1e-5))
        end
    end)

    it("fits a fixed order with R's likelihood and named coefficients", function()
        local fx = fixture("fixed_USAccDeaths_011_011")
        local fit = forecast.ARIMA{order = {0, 1, 1}, seasonal_order = {0, 1, 1},
                                   season_length = 12}:fit(fx.y)
        assert.equal("ARIMA(0,1,1)(0,1,1)[12]", fit.method)
        assert.is_true(close(fit.loglik, fx.loglik[1], 1e-9))
        assert.is_true(close(fit.params.ma1, fx.coef[1], 1e-6))
        assert.is_true(close(fit.params.sma1, fx.coef[2], 1e-6))
        assert.is_true(close(fit.sigma2, fx.sigma2[1], 1e-6))
    end)

    it("fits drift as R: ARIMA(1,1,0) with drift", function()
        local fx = fixture("fixed_WWWusage_110_drift")
        local fit = forecast.ARIMA{order = {1, 1, 0}, include_drift = true}:fit(fx.y)
        assert.equal("ARIMA(1,1,0) with drift", fit.method)
        assert.is_true(close(fit.params.drift, fx.coef[2], 1e-6))
        local mean = col(fit:predict(8), "mean")
        assert.is_true(close(mean[8], fx.mean_fc[8], 1e-6))
    end)

    it("regresses on X with ARIMA errors and forecasts with future X", function()
        local fx = fixture("xreg_auto")
        local X = columns(fx.x, 2, {"x1", "x2"})
        local XF = columns(fx.xf, 2, {"x1", "x2"})
        local fit = forecast.AutoARIMA{}:fit(fx.y, {X = X})
        assert.equal("Regression with ARIMA(1,0,1) errors", fit.method)
        assert.is_true(close(fit.aicc, fx.aicc[1], 1e-6))
        local p = fit:predict(12, {X = XF})
        local mean, lo = col(p, "mean"), col(p, "lo_80")
        for i = 1, 12 do
            assert.is_true(close(mean[i], fx.mean_fc[i], 1e-6))
            assert.is_true(close(lo[i], fx.lo80[i], 1e-6))
        end
        local ok, err = pcall(function() return fit:predict(12) end)
        assert.is_false(ok)
        assert.matches("predict needs the future regressors X", err, 1, true)
    end)

    it("says why a fit fails", function()
        local fit, err = forecast.ARIMA{order = {0, 1, 1}, seasonal_order = {0, 1, 1},
                                        season_length = 12}:fit({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
        assert.is_nil(fit)
        assert.equal("series too short: ARIMA with season_length 12 needs at least 28 "
                     .. "observations, got 10", err)
        local grow = {}
        for i = 1, 20 do grow[i] = 1.1 ^ i end
        fit, err = forecast.ARIMA{order = {1, 0, 0}, include_mean = false}:fit(grow)
        assert.is_nil(fit)
        assert.equal("ARIMA: non-stationary AR part from CSS", err)
    end)

    it("forecasts a constant series as its constant", function()
        local y = {}
        for i = 1, 24 do y[i] = 7.5 end
        local fit = forecast.AutoARIMA{season_length = 4}:fit(y)
        assert.equal("ARIMA(0,0,0) with non-zero mean", fit.method)
        local p = fit:predict(4)
        for _, v in ipairs(col(p, "mean")) do assert.equal(7.5, v) end
    end)
end)
