-- keras.models: Sequential, compile/fit/evaluate/predict, summary, save and
-- load_model, optimizers, losses and metrics with Keras' semantics.
local raise = require("lualab._args").raise
local B = require("lualab.keras.backend")
local check_opts = require("lualab._args").check_opts
local L = require("lualab.keras.layers")
local json = require("lualab.json")
local fs = require("lualab._fs")
local split = require("lualab._args").split
local A = require("lualab._args")

local M = {}

local function doc(f, s)
    if lualab and lualab.doc then lualab.doc(f, s) end
    return f
end

-- Optimizers -------------------------------------------------------------------

local Optimizer = {}
Optimizer.__index = Optimizer

function Optimizer:get_lr()
    if self._opt then return B.optim_get_lr(self._opt) end
    return self.learning_rate
end

function Optimizer:set_lr(lr)
    self.learning_rate = lr
    if self._opt then B.optim_set_lr(self._opt, lr) end
end

local function optimizer(kind, defaults)
    return function(opts)
        opts = opts or {}
        if type(opts) == "number" then opts = {learning_rate = opts} end
        if type(opts) == "table" and getmetatable(opts) == nil and opts[1] ~= nil then
            -- Adam{0.01, beta_1 = 0.8}: the learning rate by position
            local lr, rest = split("keras.optimizers." .. kind, {"learning_rate"}, 2, opts)
            rest.learning_rate, opts = lr, rest
        end
        local o = setmetatable({kind = kind}, Optimizer)
        for k, v in pairs(defaults) do o[k] = v end
        local known = {lr = true}
        for k in pairs(defaults) do known[k] = true end
        check_opts("keras.optimizers." .. kind, opts, known)
        for k, v in pairs(opts) do
            if k == "lr" then k = "learning_rate" end
            if type(v) ~= type(defaults[k]) then
                raise(string.format("keras.optimizers.%s: '%s' must be a %s, got %s",
                                    kind, k, type(defaults[k]), type(v)))
            end
            o[k] = v
        end
        return o
    end
end

M.optimizers = {
    Adam = doc(optimizer("Adam", {learning_rate = 0.001, beta_1 = 0.9,
        beta_2 = 0.999, epsilon = 1e-7, amsgrad = false}),
        "keras.optimizers.Adam{learning_rate=0.001, beta_1=0.9, beta_2=0.999, " ..
        "epsilon=1e-7} -- Adam with Keras' defaults."),
    SGD = doc(optimizer("SGD", {learning_rate = 0.01, momentum = 0.0,
        nesterov = false}),
        "keras.optimizers.SGD{learning_rate=0.01, momentum=0, nesterov=false}"),
    RMSprop = doc(optimizer("RMSprop", {learning_rate = 0.001, rho = 0.9,
        momentum = 0.0, epsilon = 1e-7}),
        "keras.optimizers.RMSprop{learning_rate=0.001, rho=0.9, epsilon=1e-7}"),
    Adagrad = doc(optimizer("Adagrad", {learning_rate = 0.001,
        initial_accumulator_value = 0.1, epsilon = 1e-7}),
        "keras.optimizers.Adagrad{learning_rate=0.001, " ..
        "initial_accumulator_value=0.1, epsilon=1e-7}"),
}
local optimizer_names = {adam = "Adam", sgd = "SGD", rmsprop = "RMSprop",
                         adagrad = "Adagrad"}

-- Losses and metrics --------------------------------------------------------------

local EPS = 1e-7
local loss_aliases = {
    binary_crossentropy = "binary_crossentropy", bce = "binary_crossentropy",
    categorical_crossentropy = "categorical_crossentropy",
    sparse_categorical_crossentropy = "sparse_categorical_crossentropy",
    mean_squared_error = "mean_squared_error", mse = "mean_squared_error",
    mean_absolute_error = "mean_absolute_error", mae = "mean_absolute_error",
    huber = "huber", huber_loss = "huber",
}
M.losses = {}
for k in pairs(loss_aliases) do M.losses[k] = k end

-- Keras resolves "accuracy" by the loss and the output width.
local function resolve_accuracy(loss, out_width)
    if loss == "binary_crossentropy" or out_width == 1 then
        return "binary_accuracy"
    elseif loss == "sparse_categorical_crossentropy" then
        return "sparse_categorical_accuracy"
    end
    return "categorical_accuracy"
end

-- Sequential ------------------------------------------------------------------------

local Model = {}
Model.__index = Model
Model.__name = "keras.Sequential"

function Model.__tostring(m)
    return string.format("<keras.Sequential %s: %d layers%s>", m.name,
                         #m.layers, m.built and "" or ", not built")
end

function Model.__display(m)
    if m.built then return m:summary_text() end
    return tostring(m)
end

M.Sequential = doc(function(layers, opts)
    if layers ~= nil and (type(layers) ~= "table" or getmetatable(layers) ~= nil) then
        if type(layers) == "table" and type(layers.get_weights) == "function" then
            raise("Sequential: a list of layers expected, got one layer (write keras.Sequential{layer})")
        end
        raise("Sequential: a list of layers expected, got " .. require("lualab._args").typename(layers))
    end
    opts = check_opts("Sequential", opts, {"name"})
    local m = setmetatable({layers = {}, built = false, _flavor = "keras",
                            name = opts.name or L.unique_name("sequential"),
                            stop_training = false}, Model)
    for _, l in ipairs(layers or {}) do m:add(l) end
    return m
end, "keras.Sequential{layer, ...} -> model -- A linear stack of layers.")

function Model:add(layer)
    if type(layer) ~= "table" then
        raise("Sequential:add: a layer expected, got " .. type(layer))
    end
    if layer.is_input then
        if #self.layers > 0 then
            raise("Sequential:add: an Input must come first")
        end
        self.input_shape = layer.shape
        return self
    end
    if getmetatable(layer) ~= L.Layer then
        raise("Sequential:add: a keras layer expected")
    end
    if #self.layers == 0 and layer.declared_input and not self.input_shape then
        self.input_shape = layer.declared_input
    end
    for _, l in ipairs(self.layers) do
        if l.name == layer.name then
            raise(string.format("Sequential:add: the layer name '%s' is used " ..
                                "twice; names must be unique", layer.name))
        end
    end
    self.layers[#self.layers + 1] = layer
    if self.built then
        local s = self.output_shape
        layer:build(s)
        layer.built = true
        layer.output_shape = layer:compute_output_shape(s)
        self.output_shape = layer.output_shape
    end
    return self
end

-- Build every layer from the input shape (without the batch).
function Model:build(input_shape)
    input_shape = input_shape or self.input_shape
    if not input_shape then
        raise("This model has not yet been built. Build the model first by " ..
              "calling `build()` or by calling `fit()` with some data, or " ..
              "specify an `input_shape` (or Embedding's `input_length`) in " ..
              "the first layer.")
    end
    self.input_shape = input_shape
    local s = input_shape
    for _, l in ipairs(self.layers) do
        if not l.built then
            l:build(s)
            l.built = true
        end
        l.input_shape = s
        l.output_shape = l:compute_output_shape(s)
        s = l.output_shape
    end
    self.output_shape = s
    self.built = true
    return self
end

function Model:count_params()
    if not self.built then self:build() end
    local total, trainable = 0, 0
    for _, l in ipairs(self.layers) do
        local t, tr = l:count_params()
        total, trainable = total + t, trainable + tr
    end
    return total, trainable
end

local function commas(n)
    local s = tostring(math.tointeger(n) or n)
    local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
    return (out:gsub("^,", ""))
end

-- Keras' print_row: each field cut and padded to its column end, the
-- last character before a new field forced to a space.
local function print_row(fields, positions)
    local line = ""
    for i, f in ipairs(fields) do
        if i > 1 then line = line:sub(1, -2) .. " " end
        line = (line .. f):sub(1, positions[i])
        line = line .. string.rep(" ", positions[i] - #line)
    end
    return line
end

-- Keras' summary table for a Sequential model (line length 65, columns
-- ending at 29, 55 and 65).
function Model:summary_text()
    if not self.built then self:build() end
    local line_len, pos = 65, {29, 55, 65}
    local out = {}
    local function row(a, b, c)
        out[#out + 1] = print_row({a, b, c}, pos)
    end
    out[#out + 1] = string.format('Model: "%s"', self.name)
    out[#out + 1] = string.rep("_", line_len)
    row("Layer (type)", "Output Shape", "Param #")
    out[#out + 1] = string.rep("=", line_len)
    for i, l in ipairs(self.layers) do
        local total = l:count_params()
        row(string.format("%s (%s)", l.name, l.class_name),
            B.shape_str(l.output_shape), tostring(total))
        if i < #self.layers then out[#out + 1] = string.rep("_", line_len) end
    end
    out[#out + 1] = string.rep("=", line_len)
    local total, trainable = self:count_params()
    out[#out + 1] = "Total params: " .. commas(total)
    out[#out + 1] = "Trainable params: " .. commas(trainable)
    out[#out + 1] = "Non-trainable params: " .. commas(total - trainable)
    out[#out + 1] = string.rep("_", line_len)
    return table.concat(out, "\n")
end

function Model:summary()
    print(self:summary_text())
end

-- Compile ------------------------------------------------------------------------------

function Model:compile(opts)
    if type(opts) ~= "table" then
        raise("compile: options table expected, got " .. type(opts))
    end
    check_opts("compile", opts, {"optimizer", "loss", "metrics"})
    local opt = opts.optimizer or "rmsprop"
    if type(opt) == "string" then
        local cls = optimizer_names[opt:lower()]
        if not cls then
            raise(string.format("compile: unknown optimizer '%s' (adam, sgd, " ..
                                "rmsprop, adagrad)", opt))
        end
        opt = M.optimizers[cls]()
    elseif getmetatable(opt) ~= Optimizer then
        raise("compile: optimizer must be a name or a keras.optimizers object")
    end
    local loss = opts.loss
    if type(loss) ~= "string" or not loss_aliases[loss] then
        raise(string.format("compile: unknown loss '%s'", tostring(loss)))
    end
    self.optimizer = opt
    self.loss = loss_aliases[loss]
    self.metrics = {}
    for _, m in ipairs(opts.metrics or {}) do
        if m == "accuracy" or m == "acc" then
            self.metrics[#self.metrics + 1] = {name = m, fn = "accuracy"}
        elseif m == "binary_accuracy" or m == "categorical_accuracy" or
               m == "sparse_categorical_accuracy" then
            self.metrics[#self.metrics + 1] = {name = m, fn = m}
        elseif m == "mse" or m == "mae" then
            self.metrics[#self.metrics + 1] = {name = m, fn = m}
        else
            raise(string.format("compile: unknown metric '%s'", tostring(m)))
        end
    end
    self.compiled = true
    self._train_tensors = nil
    -- Nothing returned, as in Keras: the REPL then shows no summary again.
end

-- Forward ----------------------------------------------------------------------------------

function Model:_forward(x, training)
    local h = x
    for _, l in ipairs(self.layers) do h = l:call(h, training) end
    return h
end

-- The loss of predictions p for targets y (tensors), as a scalar tensor.
local function loss_of(kind, p, y)
    if kind == "binary_crossentropy" then
        return B.bce(p, y, EPS)
    elseif kind == "categorical_crossentropy" then
        return B.cce(p, y, EPS)
    elseif kind == "sparse_categorical_crossentropy" then
        return B.sparse_cce(p, y, EPS)
    elseif kind == "mean_squared_error" then
        return B.mse(p, y)
    elseif kind == "mean_absolute_error" then
        return B.mae(p, y)
    elseif kind == "huber" then
        return B.huber(p, y)
    end
end

-- Sums (not means) of a metric over a batch, so epochs average per sample.
local function metric_sum(self, m, p, y)
    local fn = m.fn
    if fn == "accuracy" then
        fn = resolve_accuracy(self.loss, self.output_shape[#self.output_shape])
    end
    return B.metric_sum(fn, p, y)
end

-- Data helpers -----------------------------------------------------------------------------

local function rows_of(t)
    return t:shape()[1]
end

-- Targets shaped like the output: (n) -> (n, 1) for a width-1 output.
local function fit_targets(self, y)
    local ys = y:shape()
    local os_ = self.output_shape
    if #ys == 1 and #os_ == 1 and os_[1] == 1 and
        self.loss ~= "sparse_categorical_crossentropy" then
        return y:reshape({ys[1], 1})
    end
    return y
end

local function check_data(x, y, where)
    x = B.as_tensor(x, where .. ": x")
    if y ~= nil then
        y = B.as_tensor(y, where .. ": y")
        if rows_of(x) ~= rows_of(y) then
            raise(string.format("%s: x has %d samples but y has %d", where,
                                rows_of(x), rows_of(y)))
        end
    end
    return x, y
end

-- The input shape without the batch, for building.
local function sample_shape(x)
    local s = x:shape()
    return {table.unpack(s, 2)}
end

local function check_input(self, x, where)
    if not self.built then self:build(self.input_shape or sample_shape(x)) end
    local want, got = self.input_shape, sample_shape(x)
    local ok = #want == #got
    for i = 1, #want do ok = ok and want[i] == got[i] end
    if not ok then
        raise(string.format("%s: the model expects input of shape %s, got %s",
                            where, B.shape_str(want), B.shape_str(got)))
    end
end

function Model:_trainable()
    local ts = {}
    for _, l in ipairs(self.layers) do l:trainable_tensors(ts) end
    -- Frozen weights get no gradient at all (no work in backward).
    local on = {}
    for _, t in ipairs(ts) do on[t] = true end
    for _, l in ipairs(self.layers) do
        for _, p in ipairs(l.params) do
            B.set_requires_grad(p.tensor, on[p.tensor] == true)
            if p.extra then B.set_requires_grad(p.extra, on[p.extra] == true) end
        end
    end
    return ts
end

function Model:_make_optimizer()
    local ts = self:_trainable()
    if self._opt_for ~= nil and #ts == #self._opt_for then
        local same = true
        for i, t in ipairs(ts) do same = same and rawequal(t, self._opt_for[i]) end
        if same then return end
    end
    self.optimizer._opt = B.make_optimizer(self.optimizer, ts)
    self._opt_for = ts
end

local function fmt_value(v)
    local a = math.abs(v)
    if a ~= 0 and a < 1e-3 then return string.format("%.4e", v) end
    return string.format("%.4f", v)
end
M._fmt_value = fmt_value

local function mlflow_hooks()
    local ml = package.loaded["lualab.mlflow"] or rawget(_G, "mlflow")
    if type(ml) ~= "table" or type(ml._autolog_enabled) ~= "function" then
        return nil
    end
    local ok, on = pcall(ml._autolog_enabled)
    if ok and on then return ml end
    return nil
end

local function call_cbs(cbs, hook, ...)
    for _, cb in ipairs(cbs) do
        local f = cb[hook]
        if f then f(...) end
    end
end

-- History ----------------------------------------------------------------------------------

local History = {}
History.__index = History
History.__name = "keras.History"

function History.__tostring(h)
    local keys = {}
    for k in pairs(h.history) do keys[#keys + 1] = k end
    table.sort(keys)
    return string.format("<keras.History: %d epochs; %s>", #h.epoch,
                         table.concat(keys, ", "))
end

-- The lab's figure: one chart per metric ("Training and validation
-- accuracy" | "Training and validation loss"), side by side, through
-- lualab.plot (required lazily, so keras works in builds without it).
function History:plot(opts)
    opts = opts or {}
    local ok, plot = pcall(require, "lualab.plot")
    if not ok or type(plot) ~= "table" or type(plot.line) ~= "function" then
        raise("History:plot: this build has no plot module (lualab.plot)")
    end
    local keys = {}
    for k in pairs(self.history) do
        if not k:match("^val_") and k ~= "lr" then keys[#keys + 1] = k end
    end
    -- metrics first, loss last, as the lab draws them
    table.sort(keys, function(a, b)
        if (a == "loss") ~= (b == "loss") then return b == "loss" end
        return a < b
    end)
    local charts = {}
    for _, k in ipairs(keys) do
        local series = {{name = "Training " .. k, y = self.history[k]}}
        if self.history["val_" .. k] then
            series[2] = {name = "Validation " .. k, y = self.history["val_" .. k]}
        end
        charts[#charts + 1] = plot.line{series = series, xlabel = "epoch",
            title = (series[2] and "Training and validation " or "Training ") .. k}
    end
    if #charts == 1 then return charts[1] end
    charts.title = opts.title
    return plot.grid(charts)
end

-- Fit ----------------------------------------------------------------------------------------

local fit_args = {epochs = true, batch_size = true, validation_split = true,
                  validation_data = true, shuffle = true, callbacks = true,
                  verbose = true, initial_epoch = true}

-- Run one pass over (x, y) in batches without training; returns logs.
function Model:_evaluate(x, y, batch_size)
    local n = rows_of(x)
    local loss_sum = 0
    local msums = {}
    for i = 1, #self.metrics do msums[i] = 0 end
    B.no_grad(function()
        for start = 0, n - 1, batch_size do
            local len = math.min(batch_size, n - start)
            local xb, yb = B.rows(x, start, len), B.rows(y, start, len)
            local p = self:_forward(xb, false)
            loss_sum = loss_sum + loss_of(self.loss, p, yb):item() * len
            for i, m in ipairs(self.metrics) do
                msums[i] = msums[i] + metric_sum(self, m, p, yb)
            end
        end
    end)
    local logs = {loss = loss_sum / n}
    for i, m in ipairs(self.metrics) do logs[m.name] = msums[i] / n end
    return logs
end

function Model:fit(x, y, opts)
    opts = opts or {}
    if type(opts) ~= "table" then
        raise("fit: options table expected, got " .. type(opts))
    end
    check_opts("fit", opts, fit_args)
    if not self.compiled then
        raise("fit: you must compile your model before training/testing. " ..
              "Use `model:compile(optimizer, loss)`.")
    end
    x, y = check_data(x, y, "fit")
    check_input(self, x, "fit")
    y = fit_targets(self, y)
    local epochs = opts.epochs or 1
    local batch_size = opts.batch_size or 32
    local verbose = opts.verbose == nil and 1 or opts.verbose
    local initial_epoch = opts.initial_epoch or 0
    if math.type(epochs) ~= "integer" or epochs < 0 then
        raise("fit: epochs must be a non-negative integer, got " .. tostring(epochs))
    end
    if math.type(batch_size) ~= "integer" or batch_size < 1 then
        raise("fit: batch_size must be a positive integer, got " .. tostring(batch_size))
    end
    -- Keras: validation_split takes the last fraction, before shuffling.
    local xv, yv
    if opts.validation_data then
        local vd = opts.validation_data
        if type(vd) ~= "table" or vd[1] == nil or vd[2] == nil then
            raise("fit: validation_data must be {x_val, y_val}")
        end
        xv, yv = check_data(vd[1], vd[2], "fit: validation_data")
        check_input(self, xv, "fit: validation_data")
        yv = fit_targets(self, yv)
    elseif opts.validation_split and opts.validation_split > 0 then
        local vs = opts.validation_split
        if vs >= 1 then
            raise("fit: validation_split must be in [0, 1), got " .. tostring(vs))
        end
        local n = rows_of(x)
        local split_at = math.floor(n * (1 - vs))
        if split_at < 1 or split_at >= n then
            raise(string.format("fit: validation_split=%g leaves no training " ..
                                "or no validation samples of %d", vs, n))
        end
        xv, yv = B.rows(x, split_at, n - split_at), B.rows(y, split_at, n - split_at)
        x, y = B.rows(x, 0, split_at), B.rows(y, 0, split_at)
    end
    local shuffle = opts.shuffle ~= false
    local cbs = opts.callbacks or {}
    local history = setmetatable({history = {}, epoch = {}, model = self,
        params = {epochs = epochs, steps = nil, verbose = verbose}}, History)
    self.history = history
    for _, cb in ipairs(cbs) do cb.model = self end
    self:_make_optimizer()
    local ml = mlflow_hooks()
    if ml then
        ml._autolog_fit_start(self, {epochs = epochs, batch_size = batch_size,
            optimizer = self.optimizer.kind, learning_rate = self.optimizer:get_lr(),
            loss = self.loss})
    end
    self.stop_training = false
    local n = rows_of(x)
    local steps = (n + batch_size - 1) // batch_size
    history.params.steps = steps
    call_cbs(cbs, "on_train_begin", {})
    for epoch = initial_epoch, epochs - 1 do
        local t0 = B.clock()
        call_cbs(cbs, "on_epoch_begin", epoch, {})
        local order = shuffle and B.permutation(n) or nil
        local loss_sum, seen = 0, 0
        local msums = {}
        for i = 1, #self.metrics do msums[i] = 0 end
        local label = string.format("Epoch %d/%d", epoch + 1, epochs)
        for step = 0, steps - 1 do
            local start = step * batch_size
            local len = math.min(batch_size, n - start)
            local xb, yb
            if order then
                local idx = table.move(order, start + 1, start + len, 1, {})
                xb, yb = B.take(x, idx), B.take(y, idx)
            else
                xb, yb = B.rows(x, start, len), B.rows(y, start, len)
            end
            call_cbs(cbs, "on_batch_begin", step, {size = len})
            B.zero_grad(self.optimizer._opt)
            local p = self:_forward(xb, true)
            local loss = loss_of(self.loss, p, yb)
            B.backward(loss)
            B.step(self.optimizer._opt)
            local lv = loss:item()
            loss_sum, seen = loss_sum + lv * len, seen + len
            local blogs = {loss = lv, size = len, batch = step}
            B.no_grad(function()
                for i, m in ipairs(self.metrics) do
                    local s = metric_sum(self, m, p, yb)
                    msums[i] = msums[i] + s
                    blogs[m.name] = s / len
                end
            end)
            call_cbs(cbs, "on_batch_end", step, blogs)
            if verbose == 1 and lualab and lualab.progress and
                (step % 16 == 15 or step == steps - 1) then
                local parts = {"loss " .. fmt_value(loss_sum / seen)}
                for i, m in ipairs(self.metrics) do
                    parts[#parts + 1] = m.name .. " " .. fmt_value(msums[i] / seen)
                end
                lualab.progress{label = label, done = step + 1, total = steps,
                                metrics = table.concat(parts, " "),
                                finished = step == steps - 1}
            end
            if self.stop_training then break end
        end
        local logs = {loss = loss_sum / math.max(seen, 1)}
        for i, m in ipairs(self.metrics) do logs[m.name] = msums[i] / math.max(seen, 1) end
        if xv then
            local vl = self:_evaluate(xv, yv, batch_size)
            for k, v in pairs(vl) do logs["val_" .. k] = v end
        end
        if verbose > 0 then
            local parts = {string.format("Epoch %d/%d - %ds - loss: %s", epoch + 1,
                epochs, math.floor(B.clock() - t0 + 0.5), fmt_value(logs.loss))}
            for _, m in ipairs(self.metrics) do
                parts[#parts + 1] = m.name .. ": " .. fmt_value(logs[m.name])
            end
            if xv then
                parts[#parts + 1] = "val_loss: " .. fmt_value(logs.val_loss)
                for _, m in ipairs(self.metrics) do
                    parts[#parts + 1] = "val_" .. m.name .. ": " ..
                        fmt_value(logs["val_" .. m.name])
                end
            end
            print(table.concat(parts, " - "))
        end
        call_cbs(cbs, "on_epoch_end", epoch, logs)
        history.epoch[#history.epoch + 1] = epoch
        for k, v in pairs(logs) do
            local h = history.history[k]
            if not h then
                h = {}
                history.history[k] = h
            end
            h[#h + 1] = v
        end
        if ml then ml._autolog_epoch_end(epoch, logs) end
        if self.stop_training then break end
    end
    call_cbs(cbs, "on_train_end", {})
    if ml then ml._autolog_fit_end(self, history) end
    return history
end

function Model:evaluate(x, y, opts)
    opts = check_opts("evaluate", opts, {"batch_size", "verbose", "return_dict"})
    if not self.compiled then
        raise("evaluate: you must compile your model before training/testing. " ..
              "Use `model:compile(optimizer, loss)`.")
    end
    x, y = check_data(x, y, "evaluate")
    check_input(self, x, "evaluate")
    y = fit_targets(self, y)
    local logs = self:_evaluate(x, y, opts.batch_size or 32)
    if (opts.verbose or 1) > 0 then
        local parts = {"loss: " .. fmt_value(logs.loss)}
        for _, m in ipairs(self.metrics) do
            parts[#parts + 1] = m.name .. ": " .. fmt_value(logs[m.name])
        end
        print(table.concat(parts, " - "))
    end
    if opts.return_dict then return logs end
    local out = {logs.loss}
    for _, m in ipairs(self.metrics) do out[#out + 1] = logs[m.name] end
    return table.unpack(out)
end

function Model:predict(x, opts)
    opts = check_opts("predict", opts, {"batch_size", "verbose"})
    x = check_data(x, nil, "predict")
    check_input(self, x, "predict")
    local batch_size = opts.batch_size or 32
    local n = rows_of(x)
    local parts = {}
    B.no_grad(function()
        for start = 0, n - 1, batch_size do
            local len = math.min(batch_size, n - start)
            parts[#parts + 1] = self:_forward(B.rows(x, start, len), false)
        end
    end)
    return B.cat_rows(parts)
end

function Model:__call(x)
    return self:predict(x, {verbose = 0})
end

-- Weights ---------------------------------------------------------------------------------------

function Model:get_weights()
    if not self.built then self:build() end
    local out = {}
    for _, l in ipairs(self.layers) do
        for _, w in ipairs(l:get_weights()) do out[#out + 1] = w end
    end
    return out
end

function Model:set_weights(ws)
    if not self.built then self:build() end
    local k = 1
    local want = 0
    for _, l in ipairs(self.layers) do want = want + #l.params end
    if type(ws) ~= "table" or #ws ~= want then
        raise(string.format("set_weights: the model has %d weight arrays, got %s",
            want, type(ws) == "table" and tostring(#ws) or type(ws)))
    end
    for _, l in ipairs(self.layers) do
        local n = #l.params
        l:set_weights(table.move(ws, k, k + n - 1, 1, {}))
        k = k + n
    end
end

-- Named weights for saving: "<layer>/<weight>" in Keras layout.
function Model:_named_weights()
    local out = {}
    for _, l in ipairs(self.layers) do
        local ws = l:get_weights()
        for i, p in ipairs(l.params) do
            local owner = l.name
            if l.sublayers then
                for _, sub in ipairs(l.sublayers) do
                    for _, sp in ipairs(sub.params) do
                        if sp == p then owner = l.name .. "/" .. sub.name end
                    end
                end
            end
            out[owner .. "/" .. p.name] = ws[i]
        end
    end
    return out
end

function Model:get_config()
    local layers = {}
    for _, l in ipairs(self.layers) do
        layers[#layers + 1] = {class_name = l.class_name, name = l.name,
                               trainable = l.trainable, config = l:get_config()}
    end
    return {class_name = "Sequential", name = self.name,
            input_shape = self.input_shape and json.array(self.input_shape),
            layers = json.array(layers),
            compile = self.compiled and {loss = self.loss,
                optimizer = {class_name = self.optimizer.kind,
                             learning_rate = self.optimizer:get_lr()},
                metrics = json.array((function()
                    local ms = {}
                    for _, m in ipairs(self.metrics) do ms[#ms + 1] = m.name end
                    return ms
                end)())} or nil,
            format = "lualab-keras 1"}
end

function Model:save_weights(path)
    B.save(self:_named_weights(), path)
end

function Model:load_weights(path)
    local sd = B.load(path)
    local ws = {}
    local names = {}
    for name in pairs(self:_named_weights()) do names[#names + 1] = name end
    local missing = {}
    local byname = {}
    for _, l in ipairs(self.layers) do
        for _, p in ipairs(l.params) do byname[#byname + 1] = {l, p} end
    end
    local order = {}
    for _, l in ipairs(self.layers) do
        for i, p in ipairs(l.params) do
            local owner = l.name
            for _, sub in ipairs(l.sublayers or {}) do
                for _, sp in ipairs(sub.params) do
                    if sp == p then owner = l.name .. "/" .. sub.name end
                end
            end
            order[#order + 1] = owner .. "/" .. p.name
            ws[#ws + 1] = sd[order[#order]]
            if sd[order[#order]] == nil then missing[#missing + 1] = order[#order] end
            local _ = i
        end
    end
    if #missing > 0 then
        raise("load_weights: " .. path .. " lacks " .. table.concat(missing, ", "))
    end
    self:set_weights(ws)
end

-- A model directory: config.json + weights.safetensors.
function Model:save(dir)
    if type(dir) ~= "string" then
        raise("save: a directory path expected, got " .. type(dir))
    end
    if not self.built then self:build() end
    local ok, err = fs.mkdir_p(dir)
    if not ok then raise("save: " .. err) end
    -- weights first: config.json appearing marks a complete model
    self:save_weights(dir .. "/weights.safetensors")
    ok, err = fs.write_file(dir .. "/config.json", json.encode(self:get_config(), 2) .. "\n")
    if not ok then raise("save: " .. err) end
    return dir
end

-- The size keys of keras layer configs (see _args.check_sizes).
local SIZE_KEYS = {"units", "input_dim", "output_dim", "input_length", "filters",
    "kernel_size", "strides", "dilation_rate", "pool_size", "n"}

M.load_model = doc(function(dir)
    if type(dir) ~= "string" then
        raise("load_model: a directory path expected, got " .. type(dir))
    end
    local text, msg = fs.read_file(dir .. "/config.json")
    if not text then raise("load_model: " .. msg) end
    local cfg, jerr = json.decode(text, dir .. "/config.json")
    if jerr then raise("load_model: " .. jerr) end
    if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" then
        raise("load_model: " .. dir .. "/config.json is not a Sequential model")
    end
    local layers = {}
    for _, spec in ipairs(cfg.layers) do
        if type(spec) == "table" then
            A.check_sizes(dir .. "/config.json", tostring(spec.name), spec.config, SIZE_KEYS)
        end
        layers[#layers + 1] = L.from_config(spec)
    end
    local m = M.Sequential(layers, {name = cfg.name})
    if cfg.input_shape and cfg.input_shape ~= json.null then
        m:build(cfg.input_shape)
    end
    m:load_weights(dir .. "/weights.safetensors")
    if cfg.compile and cfg.compile ~= json.null then
        local c = cfg.compile
        local opt = M.optimizers[c.optimizer.class_name]{learning_rate = c.optimizer.learning_rate}
        m:compile{optimizer = opt, loss = c.loss, metrics = c.metrics}
    end
    return m
end, "keras.models.load_model(dir) -> model -- Load a model saved with " ..
     "model:save(dir) (config.json + weights.safetensors).")

-- Doc strings of the model's methods: ?model.fit, help(m.fit).
for name, text in pairs({
    add = "model:add(layer) -- Append a layer to a Sequential model (before it is built).",
    build = "model:build(input_shape) -- Create the weights for inputs of input_shape " ..
            "(without the batch), as the first fit/predict does.",
    count_params = "model:count_params() -> n -- The number of weights (trainable and not).",
    summary_text = "model:summary_text() -> string -- The summary table as a string.",
    summary = "model:summary() -- Print the layers, their output shapes and parameter counts.",
    compile = "model:compile{optimizer=, loss=, metrics=} -- Choose the optimizer (a name " ..
              "or keras.optimizers object; default rmsprop), the loss and the metrics.",
    fit = "model:fit(x, y, {epochs=1, batch_size=32, validation_split=, validation_data=, " ..
          "shuffle=true, callbacks=, verbose=1, initial_epoch=0}) -> History -- Train; x and y " ..
          "are Tensors, Frames, Columns or tables of numbers.",
    evaluate = "model:evaluate(x, y, {batch_size=32, verbose=1, return_dict=false}) -> loss, " ..
               "metrics... -- The loss and metrics on (x, y), without training.",
    predict = "model:predict(x, {batch_size=32, verbose=}) -> Tensor -- The model's outputs " ..
              "for x (a Tensor, Frame, Column or table of numbers).",
    get_weights = "model:get_weights() -> {Tensor...} -- Every layer's weights, in order.",
    set_weights = "model:set_weights({Tensor...}) -- Replace the weights, in get_weights' order.",
    get_config = "model:get_config() -> table -- The model's architecture and compile settings.",
    save_weights = "model:save_weights(path) -- Write the weights to a .safetensors file.",
    load_weights = "model:load_weights(path) -- Read weights written by save_weights.",
    save = "model:save(dir) -> dir -- Write config.json and weights.safetensors " ..
           "(keras.models.load_model(dir) reads them back).",
}) do
    doc(Model[name], text)
end

M.Model = Model
M.History = History
return M
