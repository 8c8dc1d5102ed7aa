-- Daily-use edges: options checked the same way everywhere, Frames and
-- Columns handed to models, errors that name the caller's line.
local nn = require("lualab.nn")
local keras = require("lualab.keras")

-- Run src as a chunk named "user.lua"; returns the error message.
local function err_at(src)
    local f = assert(load(src, "=user.lua"))
    local ok, e = pcall(f)
    assert.is_false(ok)
    return e
end

describe("common mistakes", function()
    it("name the option, suggest the right one and point at the caller's line", function()
        local cases = {
            {"\nplot.line{y = {1}, titel = 'x'}",
             "user.lua:2: plot.line: unknown option 'titel' (did you mean 'title'?)"},
            {"local m = nn.Linear(2, 1)\nnn.optim.SGD(m:parameters(), {lr = 0.1, momentun = 0.9})",
             "user.lua:2: SGD: unknown option 'momentun' (did you mean 'momentum'?)"},
            {"nn.optim.Adam{}",
             "user.lua:1: Adam: optimizer got an empty parameter list (pass model:parameters())"},
            {"mlflow.start_run{run_nmae = 'x'}",
             "user.lua:1: start_run: unknown option 'run_nmae' (did you mean 'run_name'?)"},
            {"\n\nkeras.layers.Dense(3, {unit = 3})",
             "user.lua:3: Dense: unknown option 'unit' (did you mean 'units'?)"},
            {"local m = keras.Sequential{keras.layers.Dense(1)}\nm:compile{optimizer = 'sgd', los = 'mse'}",
             "user.lua:2: compile: unknown option 'los' (did you mean 'loss'?)"},
            {"local m = keras.Sequential{keras.layers.Dense(1)}\nm:compile{loss = 'mse'}\n" ..
             "m:fit(df.frame{a = {1, 2}}, {1, 2}, {epocs = 1})",
             "user.lua:3: fit: unknown option 'epocs' (did you mean 'epochs'?)"},
            {"local m = keras.Sequential{keras.layers.Dense(1)}\nm:compile{loss = 'mse'}\n" ..
             "m:fit('x', {1, 2})",
             "user.lua:3: fit: x must be a Tensor, Frame, Column or table of numbers, got string"},
            {"local m = keras.Sequential{keras.layers.Dense(1)}\nm:compile{loss = 'mse'}\n" ..
             "m:predict(nn.zeros({2, 1}), {batch = 1})",
             "user.lua:3: predict: unknown option 'batch' (did you mean 'batch_size'?)"},
            {"lualab.check_opts('f', 5, {}, 1)", "user.lua:1: f: options table expected, got number"},
            {"local e = nn.Embedding(10, 3)\nlocal y = e(nn.tensor({1.5}))",
             "user.lua:2: Embedding(10, 3): index 1.5 is not an integer"},
            {"local m = nn.Sequential{nn.Linear(2, 2)}\n\nlocal y = m(nn.zeros({3, 5}))",
             "user.lua:3: Linear(2, 2): input has shape [3, 5], expected last dimension 2"},
            {"local M = nn.Module{forward = function(self, x)\n error('mine')\nend}\nlocal y = M(1)",
             "user.lua:2: mine"},
        }
        for _, c in ipairs(cases) do
            assert.equals(c[2], err_at(c[1]))
        end
    end)

    it("say what was expected and what was given", function()
        local m = nn.Linear(2, 1)
        local ok, e = pcall(m.forward, m, "x")
        assert.is_false(ok)
        assert.matches("Linear(2, 1): bad argument #1 (Tensor expected, got string)", e, 1, true)
        local e2 = nn.Embedding(10, 3)
        ok, e = pcall(e2, nn.tensor({1.5}))
        assert.is_false(ok)
        assert.matches("Embedding(10, 3): index 1.5 is not an integer", e, 1, true)
        ok, e = pcall(e2, nn.tensor({12}))
        assert.matches("Embedding(10, 3): index 12 out of range for 10 embeddings", e, 1, true)
    end)
end)

describe("Frames meet models", function()
    local f = df.frame{a = {1, 2, 3, 4}, b = {2, 3, 4, 6}, y = {3, 5, 7, 10}}

    it("nn modules take a Frame's numeric columns in order, and Columns", function()
        local m = nn.Linear(2, 1)
        local X = f:select{"a", "b"}
        local got = m(X):tolist()
        local want = m(X:to_tensor()):tolist()
        assert.same(want, got)
        assert.same({4, 1}, m(X):shape())
        local loss = nn.MSELoss()(m(X):reshape({4}), f.y)
        assert.equals(nn.MSELoss()(m(X):reshape({4}), f.y:to_tensor()):item(), loss:item())
        assert.same(X:to_tensor():tolist(), nn.as_tensor(X):tolist())
    end)

    it("keras fit, evaluate and predict take Frames and Columns", function()
        local X = f:select{"a", "b"}
        local function run(x, y)
            keras.utils.set_random_seed(7)
            local m = keras.Sequential{keras.layers.Dense(1)}
            m:compile{optimizer = "sgd", loss = "mse"}
            m:fit(x, y, {epochs = 3, verbose = 0})
            return m:evaluate(x, y, {verbose = 0}), m:predict(x):tolist()
        end
        local l1, p1 = run(X, f.y)
        local l2, p2 = run(X:to_tensor(), f.y:to_tensor())
        assert.equals(l2, l1)
        assert.same(p2, p1)
    end)

    it("plot takes a Frame as a heatmap's values", function()
        local p = plot.heatmap{values = f:select{"a", "b"}}
        assert.equals(plot.heatmap{values = {{1, 2}, {2, 3}, {3, 4}, {4, 6}}}:svg(), p:svg())
    end)
end)

describe("doc strings", function()
    -- Every public function and class of the modules has one: help(f) and
    -- ?name show it.
    local modules = {"nn", "nn.optim", "nn.optim.lr_scheduler", "nn.utils", "keras",
                     "keras.layers", "keras.callbacks", "keras.optimizers", "keras.utils",
                     "plot", "mlflow", "df", "forecast", "automl", "serve", "json",
                     "datasets"}
    local function get(path)
        local t = _G
        for part in path:gmatch("[^.]+") do
            if type(t) ~= "table" then return nil end
            t = t[part]
        end
        return t
    end
    local function callable(v)
        if type(v) == "function" then return true end
        local mt = type(v) == "table" and getmetatable(v)
        return mt and mt.__call ~= nil
    end

    it("are written for every public function and class", function()
        local missing, seen = {}, 0
        for _, m in ipairs(modules) do
            local t = get(m)
            if type(t) == "table" then
                for k, v in pairs(t) do
                    if type(k) == "string" and not k:match("^_") and callable(v) then
                        seen = seen + 1
                        local d = lualab.doc(v) or (type(v) == "table" and rawget(v, "__doc"))
                        if not d or #d < 10 then missing[#missing + 1] = m .. "." .. k end
                    end
                end
            end
        end
        table.sort(missing)
        assert.same({}, missing)
        assert.is_true(seen > 200)
    end)

    it("answer ?name for classes and methods of a value", function()
        assert.matches("^nn%.Linear%(in_features", lualab.doc(nn.Linear))
        assert.matches("^nn%.optim%.Adam%(params", lualab.doc(nn.optim.Adam))
        assert.matches("^nn%.MSELoss", lualab.doc(nn.MSELoss))
        assert.is_nil(lualab.doc(function() end))
        local out = run_cmd(LUALAB_BIN .. [[ -e 'help("nn.LSTM")']])
        assert.matches("Long short-term memory", out, 1, true)
    end)

    it("nn constructors reject unknown options", function()
        local ok, e = pcall(nn.Linear, 2, 1, {bais = false})
        assert.is_false(ok)
        assert.matches("Linear: unknown option 'bais' (did you mean 'bias'?)", e, 1, true)
        ok, e = pcall(nn.LSTM, 2, 3, {batchfirst = true})
        assert.matches("LSTM: unknown option 'batchfirst' (did you mean 'batch_first'?)", e, 1, true)
        assert.equals(2, nn.LSTM(2, 3, {num_layers = 2}).num_layers)
    end)
end)

describe("tensors print", function()
    it("column-aligned, in PyTorch's one format per tensor", function()
        local cases = dofile(FIXTURES .. "/ux/tensor_print.lua")
        for _, c in ipairs(cases) do
            local t = nn.tensor(load("return " .. c[1])())
            local got = tostring(t):gsub(", shape=%[[%d, ]*%]%)$", "")
            assert.equals(c[2], got)
        end
        assert.equals("tensor([   nan, 1.5000,    inf], shape=[3])",
                      tostring(nn.tensor({0 / 0, 1.5, 1 / 0})))
    end)
end)
