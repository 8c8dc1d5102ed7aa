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
            {"local m = nn.Linear(2, 1)\nm:load_state_dict(5)",
             "user.lua:2: load_state_dict: bad argument #1 (state dict expected, got number)"},
            {"local o = nn.optim.Adam(nn.Linear(1, 1):parameters())\n" ..
             "nn.optim.lr_scheduler.StepLR(o, {step = 1})",
             "user.lua:2: StepLR: unknown option 'step' (did you mean 'step_size'?)"},
            {"local o = nn.optim.Adam(nn.Linear(1, 1):parameters())\nnn.optim.lr_scheduler.StepLR(o)",
             "user.lua:2: StepLR: option 'step_size' (a number) is required"},
            {"nn.optim.lr_scheduler.ExponentialLR(5, {gamma = 0.5})",
             "user.lua:1: ExponentialLR: bad argument #1 (optimizer expected, got number)"},
            {"local o = nn.optim.SGD(nn.Linear(1, 1):parameters(), {lr = 1})\n" ..
             "nn.optim.lr_scheduler.ReduceLROnPlateau(o, {patiance = 2})",
             "user.lua:2: ReduceLROnPlateau: unknown option 'patiance' (did you mean 'patience'?)"},
            {"\nkeras.Sequential(5)", "user.lua:2: Sequential: a list of layers expected, got number"},
            {"keras.Sequential(keras.layers.Dense(1))",
             "user.lua:1: Sequential: a list of layers expected, got one layer (write keras.Sequential{layer})"},
            {"keras.Sequential({}, {nmae = 'm'})",
             "user.lua:1: Sequential: unknown option 'nmae' (did you mean 'name'?)"},
            {"local m = nn.Sequential{nn.Linear(2, 2)}\n\nlocal y = m(nn.zeros({3, 5}))",
             "user.lua:3: Linear(2, 2): input has shape [3, 5], expected last dimension 2"},
            {"local M = nn.Module{forward = function(self, x)\n error('mine')\nend}\nlocal y = M(1)",
             "user.lua:2: mine"},
        }
        for _, c in ipairs(cases) do
            assert.equals(c[2], err_at(c[1]))
        end
    end)

    it("in keras and mlflow point at the caller's line, however deep they are found", function()
        local dir = os.tmpname()
        os.remove(dir)
        assert(os.execute("mkdir -p '" .. dir .. "'"))
        mlflow.set_tracking_uri("sqlite:///" .. dir .. "/t.db")
        local m = "local m = keras.Sequential{keras.layers.Dense(1, {input_shape = {2}})}\n"
        local mc = m .. "m:compile{loss = 'mse'}\n"
        local x, y = "nn.zeros({2, 2})", "nn.zeros({2})"
        local cases = {
            {mc .. "m:compile{optimizer = 'adamm', loss = 'mse'}",
             "user.lua:3: compile: unknown optimizer 'adamm' (adam, sgd, rmsprop, adagrad)"},
            {mc .. "m:compile{loss = 'msee'}", "user.lua:3: compile: unknown loss 'msee'"},
            {mc .. "m:compile{loss = 'mse', metrics = {'acc2'}}",
             "user.lua:3: compile: unknown metric 'acc2'"},
            {m .. "m:fit(" .. x .. ", " .. y .. ")",
             "user.lua:2: fit: you must compile your model before training/testing. " ..
             "Use `model:compile(optimizer, loss)`."},
            {mc .. "m:fit(" .. x .. ", " .. y .. ", {epochs = -1})",
             "user.lua:3: fit: epochs must be a non-negative integer, got -1"},
            {mc .. "m:fit(nn.zeros({3, 2}), " .. y .. ")", "user.lua:3: fit: x has 3 samples but y has 2"},
            {mc .. "m:evaluate({1, 'a'}, {1, 2})",
             "user.lua:3: evaluate: x: element 2 is a string, not a number"},
            {mc .. "m:predict(nn.zeros({2, 3}))",
             "user.lua:3: predict: the model expects input of shape (None, 2), got (None, 3)"},
            {"\nkeras.layers.Dense(0)", "user.lua:2: Dense: units must be a positive integer, got 0"},
            {"keras.layers.Dense(3, {activation = 'relux'})", "user.lua:1: Dense: unknown activation 'relux'"},
            {"keras.layers.Dropout(1.5)", "user.lua:1: Dropout: rate must be in [0, 1), got 1.5"},
            {"keras.layers.Embedding(10)", "user.lua:1: Embedding: output_dim must be a positive integer, got nil"},
            {"local s = keras.Sequential{5}", "user.lua:1: Sequential:add: a layer expected, got number"},
            {"local s = keras.Sequential{keras.layers.Dense(1)}\ns:summary()",
             "user.lua:2: This model has not yet been built. Build the model first by calling `build()` " ..
             "or by calling `fit()` with some data, or specify an `input_shape` (or Embedding's " ..
             "`input_length`) in the first layer."},
            {"keras.callbacks.EarlyStopping{monitor = 5}",
             "user.lua:1: EarlyStopping: monitor must be a metric name like 'val_loss', got number"},
            -- raised from a callback inside fit, under string.gsub
            {mc .. "m:fit(" .. x .. ", " .. y .. ", {verbose = 0, callbacks = " ..
             "{keras.callbacks.ModelCheckpoint('" .. dir .. "/{nope}.x')}})",
             "user.lua:3: ModelCheckpoint: filepath key 'nope' is not among the logs"},
            {mc .. "m:compile{loss = 'mse', optimizer = keras.optimizers.Adam{amsgrad = true}}\n" ..
             "m:fit(" .. x .. ", " .. y .. ", {verbose = 0})",
             "user.lua:4: keras.optimizers.Adam: amsgrad is not supported"},
            {"keras.models.load_model(5)", "user.lua:1: load_model: a directory path expected, got number"},
            {"mlflow.start_run()\nmlflow.log_metric('loss', 'high')",
             "user.lua:2: log_metric: value of metric 'loss' must be a number, got string"},
            {"mlflow.log_metric('loss', 1, 'x')", "user.lua:1: log_metric: step must be an integer, got x"},
            {"mlflow.log_param(true, 1)", "user.lua:1: log_param: key must be a string, got boolean"},
            {"mlflow.log_param('a*b', 1)",
             "user.lua:1: invalid param name 'a*b': only letters, digits, '_', '-', '.', ' ', ':' and '/' are allowed"},
            {"mlflow.log_param('lr', 1)\n\nmlflow.log_param('lr', 2)", "user.lua:3: param 'lr' was already logged as '1'"},
            {"mlflow.log_params(5)", "user.lua:1: log_params: expected a table of key = value"},
            {"mlflow.set_tags(5)", "user.lua:1: set_tags: expected a table of key = value"},
            {"mlflow.start_run()\nmlflow.start_run()", "user.lua:2: Run with UUID "},
            {"mlflow.load_model(5)", "user.lua:1: model URI must be a string"},
            {"mlflow.load_model('runs:/zz/model')", "user.lua:1: model URI 'runs:/zz/model': run 'zz' not found"},
            {"mlflow.log_figure(plot.line{y = {1}}, 'a.png')",
             "user.lua:1: log_figure: artifact file must end in .svg, got a.png"},
        }
        for _, c in ipairs(cases) do
            pcall(mlflow.end_run)
            local e = err_at(c[1])
            assert.equals(c[2], e:sub(1, #c[2]))
        end
        pcall(mlflow.end_run)
        -- a caller that protects the call itself gets the message alone
        local ok, e = pcall(keras.layers.Dense, 0)
        assert.is_false(ok)
        assert.equals("Dense: units must be a positive integer, got 0", e)
        os.execute("rm -rf '" .. dir .. "'")
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
                     "datasets", "stream", "lualab", "mlflow.pyfunc", "mlflow.flavors.keras",
                     "mlflow.flavors.nn", "mlflow.flavors.forecast"}
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

    it("are written for every method of the values people hold", function()
        -- the methods ?value.name finds: a value's __methods or __index
        -- chain (Frames, Columns, Tensors, nn modules, optimizers, keras
        -- models and layers)
        local function methods(v, label, missing)
            local seen, done, n = {}, {}, 0
            local mt = getmetatable(v)
            local idx = mt and (rawget(mt, "__methods") or mt.__index)
            while type(idx) == "table" and not seen[idx] do
                seen[idx] = true
                for k, m in pairs(idx) do
                    if type(k) == "string" and not k:match("^_") and type(m) == "function" and
                        not done[k] then
                        done[k], n = true, n + 1
                        local d = lualab.doc(m)
                        if not d or #d < 10 then missing[#missing + 1] = label .. ":" .. k end
                    end
                end
                local m2 = getmetatable(idx)
                idx = m2 and m2.__index
            end
            return n
        end
        local lin = nn.Linear(2, 1)
        local f = df.frame{a = {1, 2}, s = {"x", "y"}}
        local vals = {
            Frame = f, Column = f.a, Tensor = nn.zeros({2}), GroupBy = f:groupby{"s"},
            Str = f.s.str, Sequential = nn.Sequential{lin}, Adam = nn.optim.Adam(lin:parameters()),
            Model = keras.Sequential{keras.layers.Dense(1)}, Dense = keras.layers.Dense(1),
            KLSTM = keras.layers.LSTM(2),
        }
        for k, v in pairs(nn) do
            local mt = type(v) == "table" and getmetatable(v)
            if k:match("^%u") and mt and mt.__call then
                local ok, inst = pcall(v, 2, 2)
                if ok and type(inst) == "table" then vals["nn." .. k] = inst end
            end
        end
        local missing, seen = {}, 0
        for label, v in pairs(vals) do seen = seen + methods(v, label, missing) end
        table.sort(missing)
        assert.same({}, missing)
        assert.is_true(seen > 600)
        local out = run_cmd(LUALAB_BIN .. [[ -e 'm = keras.Sequential{}; help("m.fit")']])
        assert.matches("^model:fit%(x, y, {epochs=1", out)
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
