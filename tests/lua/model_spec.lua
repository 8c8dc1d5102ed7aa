-- lualab._model: a model logged with mlflow.log_model, scored by the C
-- interface (ll_model_load / ll_model_predict), equals keras.lua's predict.
local M = require("lualab._model")
local K = require("lualab.keras")
local L = K.layers

local function maxdiff(a, b)
    local d = 0
    local fa, fb = a:reshape({-1}):tolist(), b:reshape({-1}):tolist()
    assert.equal(#fa, #fb)
    for i = 1, #fa do d = math.max(d, math.abs(fa[i] - fb[i])) end
    return d
end

describe("lualab._model", function()
    local tmp
    setup(function()
        tmp = os.tmpname()
        os.remove(tmp)
        os.execute("mkdir -p '" .. tmp .. "'")
        mlflow.set_tracking_uri("sqlite:///" .. tmp .. "/m.db")
        mlflow.set_experiment("c-scoring")
    end)
    teardown(function() os.execute("rm -rf '" .. tmp .. "'") end)

    it("scores the lab's Embedding+LSTM+Dense model logged by mlflow.log_model", function()
        K.utils.set_random_seed(3)
        local m = K.Sequential{L.Embedding(40, 8, {input_length = 10}), L.LSTM(6),
                               L.Dropout(0.2), L.Dense(1, {activation = "sigmoid"})}
        local x = nn.randint(0, 40, {6, 10})
        m:compile{optimizer = "adam", loss = "binary_crossentropy"}
        m:fit(x, nn.tensor({1, 0, 1, 0, 1, 1}):reshape({6, 1}), {epochs = 2, verbose = 0})
        local info
        do
            local run <close> = mlflow.start_run{run_name = "lab"}
            info = mlflow.log_model(m, "model")
        end
        local dir = mlflow._model_dir(info.model_uri)
        local cm = assert(M.load(dir))
        -- the same model through MLflow's name for predict-only loading
        local pm = mlflow.pyfunc.load_model(info.model_uri)
        assert.is_true(maxdiff(pm:predict(x), m:predict(x, {verbose = 0})) < 1e-5)
        local ok, err = pcall(mlflow.pyfunc.load_model, "runs:/" .. string.rep("0", 32) .. "/model")
        assert.is_false(ok)
        assert.equal("model URI 'runs:/00000000000000000000000000000000/model': " ..
            "run '00000000000000000000000000000000' not found", err)
        -- a local directory and a file:// URI, as MLflow's pyfunc takes them
        local fm = mlflow.pyfunc.load_model("file://" .. dir)
        assert.is_true(maxdiff(fm:predict(x), m:predict(x, {verbose = 0})) < 1e-5)
        assert.equal("keras", mlflow.pyfunc.load_model(dir):flavor())
        ok, err = pcall(mlflow.pyfunc.load_model, "file:///no/such/model")
        assert.is_false(ok)
        assert.equal("model URI 'file:///no/such/model': no such directory /no/such/model", err)
        assert.equal("keras", cm:flavor())
        assert.same({10}, cm:input_shape())
        assert.same({1}, cm:output_shape())
        assert.same({"Embedding", "LSTM", "Dropout", "Dense"}, cm:layers())
        assert.matches("^<Model keras .*: %[10%] %-> %[1%] per row, 4 layers>$", tostring(cm))
        local got = cm:predict(x)
        assert.same({6, 1}, got:shape())
        assert.is_true(maxdiff(got, m:predict(x, {verbose = 0})) < 1e-5)
        -- A frame of 10 index columns in, a prediction column out.
        local cols = {}
        local xs = x:tolist()
        for j = 1, 10 do
            local v = {}
            for i = 1, 6 do v[i] = math.floor(xs[i][j]) end
            cols[j] = {"t" .. j, v}
        end
        local out = cm:predict(df.frame(cols))
        assert.same({"prediction"}, out:columns())
        local want = m:predict(x, {verbose = 0}):reshape({-1}):tolist()
        local p = out:col("prediction"):to_table()
        for i = 1, 6 do assert.near(want[i], p[i], 1e-5) end
        cm:close()
        assert.equal("<Model (closed)>", tostring(cm))
        assert.has_error(function() cm:predict(x) end, "attempt to use a closed Model")
    end)

    it("reports bad directories and inputs", function()
        local cm, msg = M.load(tmp .. "/nowhere")
        assert.is_nil(cm)
        assert.equal("no MLmodel file in " .. tmp .. "/nowhere", msg)
        local m = assert(M.load(FIXTURES .. "/model/dense"))
        assert.has_error(function() m:predict({1, 2, 3, 4}) end,
            "predict: a Tensor or Frame expected, got table")
        assert.has_error(function() m:predict(nn.zeros({2, 5})) end,
            "predict: input has shape [2, 5], the model in " .. FIXTURES ..
            "/model/dense expects [N, 4]")
    end)

    it("refuses a crafted config.json with a Dense of 2^62 units, in Lua and C", function()
        local dir = tmp .. "/huge"
        os.execute("mkdir -p '" .. dir .. "' && cp '" .. FIXTURES ..
                   "/model/dense/MLmodel' '" .. FIXTURES ..
                   "/model/dense/weights.safetensors' '" .. dir .. "/'")
        local f = assert(io.open(FIXTURES .. "/model/dense/config.json"))
        local text = f:read("a"):gsub('"units": 8', '"units": 4611686018427387904', 1)
        f:close()
        f = assert(io.open(dir .. "/config.json", "w"))
        f:write(text)
        f:close()
        local huge = dir .. "/config.json: layer 'dense_1': 'units' is " ..
                     "4611686018427387904, more than 2147483647"
        assert.has_error(function() K.models.load_model(dir) end, "load_model: " .. huge)
        local cm, msg = M.load(dir)
        assert.is_nil(cm)
        assert.equal(huge, msg)
        assert.has_error(function() nn.zeros({2^62}) end,
            "tensor: shape [4611686018427387904] has too many elements")
        assert.has_error(function() nn.ones({2^31, 2^31, 4}) end,
            "tensor: shape [2147483648, 2147483648, 4] has too many elements")
        assert.has_error(function() nn.zeros({4294967296, 4294967296}) end,
            "tensor: shape [4294967296, 4294967296] has too many elements")
    end)
end)
