-- nn models: nn.Sequential:save(dir) / nn.load_model(dir), logged with
-- mlflow.log_model and scored in C (mlflow.pyfunc.load_model), against
-- the Lua forward and PyTorch's outputs (tests/fixtures/make_nn_model.py).
local nn = require("lualab.nn")
local M = require("lualab._model")

local function maxdiff(a, b)
    local fa, fb = a:reshape({ -1 }):tolist(), b:reshape({ -1 }):tolist()
    assert.equal(#fa, #fb)
    local d = 0
    for i = 1, #fa do
        d = math.max(d, math.abs(fa[i] - fb[i]))
    end
    return d
end

local function read(path)
    local f = assert(io.open(path, "r"))
    local s = f:read("a")
    f:close()
    return s
end

local function write(path, s)
    local f = assert(io.open(path, "w"))
    f:write(s)
    f:close()
end

local function errmsg(fn, ...)
    local ok, err = pcall(fn, ...)
    assert.is_false(ok)
    return (tostring(err):gsub("^[^:]+:%d+: ", ""))
end

local function lstm_model()
    return nn.Sequential {
        nn.Embedding(20, 4),
        nn.LSTM { input_size = 4, hidden_size = 5, batch_first = true },
        nn.LastStep { batch_first = true },
        nn.Linear(5, 1),
        nn.Sigmoid(),
    }
end

local function mlp_model()
    return nn.Sequential { nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 4), nn.ReLU(),
        nn.Linear(4, 2) }
end

describe("nn models", function()
    local tmp
    setup(function()
        tmp = os.tmpname()
        os.remove(tmp)
        os.execute("mkdir -p '" .. tmp .. "'")
        mlflow.set_tracking_uri("sqlite:///" .. tmp .. "/m.db")
        mlflow.set_experiment("nn-models")
    end)
    teardown(function()
        os.execute("rm -rf '" .. tmp .. "'")
    end)

    it("save writes config.json and weights.safetensors; load_model rebuilds the same model", function()
        nn.manual_seed(5)
        local m = lstm_model():eval()
        local x = nn.randint(0, 20, { 4, 7 })
        local y = m(x)
        assert.same({ 4, 1 }, y:shape())
        assert.equal(tmp .. "/lstm", m:save(tmp .. "/lstm"))
        local cfg = read(tmp .. "/lstm/config.json")
        assert.matches('"class_name": "Sequential"', cfg, 1, true)
        assert.matches('"type": "LSTM"', cfg, 1, true)
        assert.matches('"hidden_size": 5', cfg, 1, true)
        assert.matches('"type": "LastStep"', cfg, 1, true)
        -- the input shape without the batch: from the last batch seen
        assert.matches('"input_shape": %[%s*7%s*%]', cfg)
        local sd = nn.load(tmp .. "/lstm/weights.safetensors")
        assert.same({ "0.weight", "1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0", "3.weight",
            "3.bias" }, sd._keys)
        local m2 = nn.load_model(tmp .. "/lstm")
        assert.is_false(m2.training)
        assert.equal(tostring(m), tostring(m2))
        assert.is_true(maxdiff(m2(x), y) < 1e-6)
        assert.equal(0, maxdiff(m2(x), y))

        local p = mlp_model():eval()
        local xs = nn.randn({ 5, 3 })
        p:save(tmp .. "/mlp") -- never called: the input shape is Linear's in_features
        assert.matches('"input_shape": %[%s*3%s*%]', read(tmp .. "/mlp/config.json"))
        assert.equal(0, maxdiff(nn.load_model(tmp .. "/mlp")(xs), p(xs)))
        -- no temporary files left behind
        local out = run_cmd("ls '" .. tmp .. "/mlp'")
        assert.equal("config.json\nweights.safetensors\n", out)
    end)

    it("Sequential passes only the first result on: LSTM's output sequence", function()
        nn.manual_seed(2)
        local lstm = nn.LSTM { input_size = 3, hidden_size = 4, batch_first = true }
        local lin = nn.Linear(4, 2)
        local s = nn.Sequential { lstm, lin }
        local x = nn.randn({ 2, 5, 3 })
        local out = lstm(x)
        assert.equal(0, maxdiff(s(x), lin(out)))
        -- LastStep picks x[:, -1] (batch_first) or x[-1]
        assert.equal(0, maxdiff(nn.LastStep { batch_first = true }(out), out:select(1, 4)))
        assert.equal(0, maxdiff(nn.LastStep()(out), out:select(0, 1)))
        -- two recurrent layers: the second starts from zeros, not the first's final state
        local l2 = nn.LSTM { input_size = 4, hidden_size = 4, batch_first = true }
        assert.equal(0, maxdiff(nn.Sequential { lstm, l2 }(x), (l2(out))))
    end)

    it("log_model in a run; mlflow.load_model rebuilds it; pyfunc scores it in C", function()
        nn.manual_seed(9)
        local m = lstm_model()
        local p = mlp_model()
        local x = nn.randint(0, 20, { 6, 7 })
        local xs = nn.randn({ 4, 3 })
        -- a short training run so the weights are not the initial ones
        local opt = nn.optim.Adam(m, { lr = 0.05 })
        local target = nn.tensor({ { 1 }, { 0 }, { 1 }, { 0 }, { 1 }, { 1 } })
        for _ = 1, 3 do
            opt:zero_grad()
            local loss = nn.BCELoss()(m(x), target)
            loss:backward()
            opt:step()
        end
        m:eval()
        p:eval()
        local info, pinfo
        do
            local run <close> = mlflow.start_run { run_name = "nn" }
            info = mlflow.log_model(m, "model")
            pinfo = mlflow.log_model(p, "mlp")
        end
        local dir = mlflow._model_dir(info.model_uri)
        assert.matches("flavors:\n  nn:\n    loader_module: lualab.nn\n", read(dir .. "/MLmodel"), 1, true)
        local back = mlflow.load_model(info.model_uri)
        assert.equal("Sequential", back.__name)
        assert.is_true(maxdiff(back(x), m(x)) < 1e-6)

        local cm = mlflow.pyfunc.load_model(info.model_uri)
        assert.equal("nn", cm:flavor())
        assert.same({ 7 }, cm:input_shape())
        assert.same({ 1 }, cm:output_shape())
        assert.same({ "Embedding", "LSTM", "LastStep", "Linear", "Sigmoid" }, cm:layers())
        assert.matches("^<Model nn .*: %[7%] %-> %[1%] per row, 5 layers>$", tostring(cm))
        local got = cm:predict(x)
        assert.same({ 6, 1 }, got:shape())
        assert.is_true(maxdiff(got, m(x)) < 1e-5)

        local pm = mlflow.pyfunc.load_model(pinfo.model_uri)
        assert.is_true(maxdiff(pm:predict(xs), p(xs)) < 1e-5)
        -- rows of a frame in, two prediction columns out
        local xl = xs:tolist()
        local cols = {}
        for j = 1, 3 do
            local v = {}
            for i = 1, 4 do
                v[i] = xl[i][j]
            end
            cols[j] = { "f" .. j, v }
        end
        local scored = pm:predict(df.frame(cols))
        assert.same({ "prediction_0", "prediction_1" }, scored:columns())
        local want = p(xs):tolist()
        local got1 = scored:col("prediction_1"):to_table()
        for i = 1, 4 do
            assert.near(want[i][2], got1[i], 1e-5)
        end
        -- the wrong width is an error naming the model's shape
        assert.equal("predict: input has shape [4, 5], the model in " .. mlflow._model_dir(pinfo.model_uri) ..
            " expects [N, 3]", errmsg(pm.predict, pm, nn.zeros({ 4, 5 })))
    end)

    it("time-major models: Lua takes (time, batch), C takes (batch, time)", function()
        nn.manual_seed(4)
        local m = nn.Sequential { nn.Embedding(10, 3), nn.GRU { input_size = 3, hidden_size = 4, num_layers = 2,
            bidirectional = true }, nn.LastStep(), nn.Linear(8, 3), nn.Softmax(-1) }:eval()
        local x = nn.randint(0, 10, { 6, 2 })
        local y = m(x)
        m:save(tmp .. "/tm")
        write(tmp .. "/tm/MLmodel", "flavors:\n  nn:\n    loader_module: lualab.nn\n")
        assert.matches('"input_shape": %[%s*6%s*%]', read(tmp .. "/tm/config.json"))
        local cm = assert(M.load(tmp .. "/tm"))
        assert.is_true(maxdiff(cm:predict(x:t():contiguous()), y) < 1e-5)
    end)

    it("loads PyTorch's weights and matches PyTorch's outputs", function()
        for _, name in ipairs({ "lstm", "gru_time_major", "mlp" }) do
            local dir = FIXTURES .. "/nn_model/" .. name
            local io = nn.load(dir .. "/io.safetensors")
            local m = nn.load_model(dir)
            local d = maxdiff(m(io.x), io.y)
            assert.is_true(d < 1e-5, name .. ": " .. d)
            local cm = assert(M.load(dir))
            d = maxdiff(cm:predict(io.xc or io.x), io.y)
            assert.is_true(d < 1e-5, name .. " (C): " .. d)
        end
    end)

    it("bad inputs: custom modules, unknown layer types, missing weights", function()
        local Net = nn.Module:extend("Net")
        function Net:init()
            self.fc = nn.Linear(2, 1)
        end
        function Net:forward(x)
            return self.fc(x):sigmoid()
        end
        local tail = "; only an nn.Sequential of built-in layers can be saved as a model (config.json + " ..
            "weights.safetensors); save the weights with nn.save(model:state_dict(), path)"
        assert.equal("save: Net is a Module written in Lua (its forward cannot be described by a config)" .. tail,
            errmsg(function() Net():save(tmp .. "/net") end))
        assert.equal("save: layer 2 ('1') is a Net Module written in Lua, not a built-in layer" .. tail,
            errmsg(function() nn.Sequential { nn.Linear(2, 2), Net() }:save(tmp .. "/net") end))
        assert.equal("save: a Linear alone is not a model (wrap it: nn.Sequential{layer})" .. tail,
            errmsg(function() nn.Linear(2, 1):save(tmp .. "/net") end))
        assert.is_nil(io.open(tmp .. "/net/config.json"))
        do
            local run <close> = mlflow.start_run { run_name = "custom" }
            local msg = errmsg(mlflow.log_model, Net(), "model")
            assert.matches("^log_model: nn model:save failed: .*save: Net is a Module written in Lua", msg)
        end

        nn.manual_seed(1)
        local m = mlp_model()
        m:save(tmp .. "/bad")
        write(tmp .. "/bad/MLmodel", "flavors:\n  nn:\n    loader_module: lualab.nn\n")
        local good = read(tmp .. "/bad/config.json")
        write(tmp .. "/bad/config.json", (good:gsub('"type": "ReLU"', '"type": "Swish"', 1)))
        assert.equal("load_model: " .. tmp .. "/bad/config.json: layer 2 ('1'): unknown layer type 'Swish'",
            errmsg(nn.load_model, tmp .. "/bad"))
        local cm, err = M.load(tmp .. "/bad")
        assert.is_nil(cm)
        assert.equal(tmp .. "/bad/config.json: layer '1': unsupported layer type 'Swish'", err)

        -- a crafted size: refused naming the file, layer and key, in Lua as in C
        write(tmp .. "/bad/config.json", (good:gsub('"out_features": %d+', '"out_features": 4611686018427387904', 1)))
        local huge = "/bad/config.json: layer '0': 'out_features' is 4611686018427387904, more than 2147483647"
        assert.equal("load_model: " .. tmp .. huge, errmsg(nn.load_model, tmp .. "/bad"))
        cm, err = M.load(tmp .. "/bad")
        assert.is_nil(cm)
        assert.equal(tmp .. huge, err)

        write(tmp .. "/bad/config.json", good)
        local sd = nn.load(tmp .. "/bad/weights.safetensors")
        local keep = {}
        for _, k in ipairs(sd._keys) do
            if k ~= "3.bias" then keep[#keep + 1] = k end
        end
        local partial = {}
        for _, k in ipairs(keep) do partial[k] = sd[k] end
        nn.save(partial, tmp .. "/bad/weights.safetensors")
        assert.equal("load_model: " .. tmp .. "/bad/weights.safetensors lacks the weight '3.bias'",
            errmsg(nn.load_model, tmp .. "/bad"))
        cm, err = M.load(tmp .. "/bad")
        assert.is_nil(cm)
        assert.equal(tmp .. "/bad/weights.safetensors lacks the weight '3.bias'", err)

        partial["3.bias"] = nn.zeros({ 5 })
        nn.save(partial, tmp .. "/bad/weights.safetensors")
        assert.equal("load_model: " .. tmp .. "/bad/weights.safetensors: weight '3.bias' has shape [5], expected [4]",
            errmsg(nn.load_model, tmp .. "/bad"))

        -- no input shape known (never run, first layer not Linear)
        local e = nn.Sequential { nn.Embedding(5, 2), nn.Flatten(), nn.Linear(6, 1) }
        e:save(tmp .. "/noshape")
        write(tmp .. "/noshape/MLmodel", "flavors:\n  nn:\n    loader_module: lualab.nn\n")
        cm, err = M.load(tmp .. "/noshape")
        assert.is_nil(cm)
        assert.equal(tmp .. "/noshape/config.json: 'input_shape' must be an array of sizes (save the model after " ..
            "running it on a batch, or with save(dir, {input_shape = {...}}))", err)
        e:save(tmp .. "/noshape", { input_shape = { 3 } })
        local x = nn.tensor({ { 0, 1, 4 }, { 2, 2, 3 } })
        assert.is_true(maxdiff(assert(M.load(tmp .. "/noshape")):predict(x), e(x)) < 1e-5)

        assert.equal("save: bad argument #1 (directory path expected, got nil)", errmsg(m.save, m))
    end)

    it("mlflow's nn flavor still loads a directory holding only a state dict", function()
        local p = mlp_model()
        local holder = { _flavor = "nn", save = function(_, dir)
            os.execute("mkdir -p '" .. dir .. "'")
            nn.save(p:state_dict(), dir .. "/model.safetensors")
        end }
        local info
        do
            local run <close> = mlflow.start_run { run_name = "sd" }
            info = mlflow.log_model(holder, "weights")
        end
        local sd = mlflow.load_model(info.model_uri)
        assert.same(p:state_dict()._keys, sd._keys)
        assert.equal(0, maxdiff(sd["0.weight"], p["0"].weight))
        local ok, err = pcall(mlflow.pyfunc.load_model, info.model_uri)
        assert.is_false(ok)
        assert.equal("load_model: " .. mlflow._model_dir(info.model_uri) .. ": flavor 'nn' needs config.json " ..
            "(written by nn.Sequential's save), which is missing: a state dict alone cannot be scored from C", err)
    end)
end)
