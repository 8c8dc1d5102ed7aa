-- serve: serve.start runs `lualab serve` as a child process for a
-- registered model and the Service talks to it over HTTP (libcurl).
local K = require("lualab.keras")
local L = K.layers

describe("serve", function()
    local tmp, uri, model, x
    setup(function()
        tmp = os.tmpname()
        os.remove(tmp)
        os.execute("mkdir -p '" .. tmp .. "'")
        mlflow.set_tracking_uri("sqlite:///" .. tmp .. "/m.db")
        mlflow.set_experiment("serving")
        K.utils.set_random_seed(5)
        model = K.Sequential{L.Dense(8, {activation = "relu", input_shape = {3}}), L.Dense(1)}
        model:compile{optimizer = "adam", loss = "mse"}
        x = df.frame{a = {1, 0.5, -3, 2}, b = {2, -1, 0, 0.5}, c = {3, 2, 0.25, -1}}
        do
            local run <close> = mlflow.start_run{run_name = "serve"}
            mlflow.log_model(model, "model", {registered_model_name = "scorer"})
        end
        mlflow.set_registered_model_alias("scorer", "champion", 1)
        uri = "models:/scorer@champion"
    end)
    teardown(function()
        for _, s in ipairs(serve.list()) do s:stop() end
        os.execute("rm -rf '" .. tmp .. "'")
    end)

    it("serves a registered model and predicts what pyfunc predicts", function()
        local svc = serve.start{model = uri, port = 0, tracking_uri = "sqlite:///" .. tmp .. "/m.db", workers = 2}
        assert.matches("^http://127%.0%.0%.1:%d+$", svc.url)
        assert.is_true(svc:wait_healthy(30))
        assert.equal(1, #serve.list())
        assert.is_true(svc.running)
        local got = svc:predict(x)
        local want = mlflow.pyfunc.load_model(uri):predict(x)
        assert.equal(4, #got)
        for i = 1, 4 do
            assert.near(want.prediction[i], got.prediction[i], 1e-6)
        end
        -- rows as tables work too
        local one = svc:predict{{a = 1, b = 2, c = 3}}
        assert.near(want.prediction[1], one.prediction[1], 1e-6)
        -- the raw Azure ML contract
        local body, status = svc:score('{"Inputs": {"data": [{"a": 1, "b": 2, "c": 3}]}}')
        assert.equal(200, status)
        assert.matches('^{"Results":%[%-?[%d.e%-]+%]}$', body)
        local text, st = svc:get("/")
        assert.equal("Healthy\n", text)
        assert.equal(200, st)
        -- a client error is raised with the server's message
        local ok, err = pcall(svc.predict, svc, df.frame{a = {1}, b = {2}})
        assert.is_false(ok)
        -- (this model has no signature: the columns are the numeric ones, in order)
        assert.matches("predict: HTTP 400: BAD_REQUEST: predict: the model expects [N, 3] (3 values per row), " ..
                       "the frame has 2 numeric columns (a, b)", err, 1, true)
        local pid = svc.pid
        svc:stop()
        assert.is_false(svc.running)
        assert.equal(0, #serve.list())
        -- the child is gone
        assert.is_false(os.execute("kill -0 " .. pid .. " 2>/dev/null") == true)
        local ok2, err2 = pcall(svc.predict, svc, x)
        assert.is_false(ok2)
        assert.matches("connect", err2)
    end)

    it("checks the API key it was given", function()
        local svc = serve.start{model = uri, port = 0, api_key = "k3y",
                                tracking_uri = "sqlite:///" .. tmp .. "/m.db"}
        svc:wait_healthy(30)
        assert.equal(4, #svc:predict(x))
        svc:stop()
    end)

    it("says why a server did not start", function()
        local ok, err = pcall(serve.start, {model = tmp .. "/nothing", port = 0})
        assert.is_false(ok)
        assert.equal("serve.start: the server did not start: model URI '" .. tmp ..
                     "/nothing': no such directory (expected models:/NAME/VERSION, models:/NAME@ALIAS, " ..
                     "runs:/RUN_ID/PATH or a directory)", err)
        local ok2, err2 = pcall(serve.start, {port = 0})
        assert.is_false(ok2)
        assert.matches("serve.start: 'model' is required", err2, 1, true)
        assert.equal(0, #serve.list())
    end)
end)
