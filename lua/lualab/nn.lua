-- lualab.nn: the PyTorch-style front end over the C engine (lualab._nn).
--
-- Modules are Lua tables whose class is made with nn.Module:extend(name);
-- parameters are tensors registered with self:register_parameter or
-- nn.Parameter, children are modules stored in fields.  Registration order is
-- kept (named_parameters and state_dict follow it, as in PyTorch).  Dims and
-- indices given to tensor methods are 0-based like PyTorch's.
local raise = require("lualab._args").raise
local C = require("lualab._nn")
local split_args = require("lualab._args").split
local as_tensor = require("lualab._args").as_tensor
local check_opts = require("lualab._args").check_opts
local typename = require("lualab._args").typename

local nn = {}
for k, v in pairs(C) do
    nn[k] = v
end
nn.functional = C

local doc = (lualab and lualab.doc) or function() end
local Tensor = C.Tensor

local function is_tensor(x)
    return type(x) == "userdata" and getmetatable(x) and getmetatable(x).__name == "lualab.Tensor"
end
nn.is_tensor = is_tensor
nn.as_tensor = as_tensor
doc(nn.as_tensor, "as_tensor(x) -> Tensor | x -- A Frame (its numeric columns, in order) or a Column as a " ..
    "Tensor through to_tensor(); anything else as given.")

local function shape_str(t)
    return "[" .. table.concat(t:shape(), ", ") .. "]"
end
nn._shape_str = shape_str

function Tensor.flip(t, dim)
    local n = t:shape(dim)
    return t:index_select(dim, C.arange(n - 1, -1, -1))
end
doc(Tensor.flip, "t:flip(dim) -> Tensor -- Reverse the order along dim (differentiable).")

-- Parameters: tensors marked here are collected by parameters().
local param_set = setmetatable({}, { __mode = "k" })

function nn.Parameter(t, requires_grad)
    if not is_tensor(t) then
        raise("Parameter: bad argument #1 (Tensor expected, got " .. type(t) .. ")")
    end
    if requires_grad == nil then
        requires_grad = true
    end
    t.requires_grad = requires_grad
    param_set[t] = true
    return t
end
doc(nn.Parameter, "Parameter(t [, requires_grad=true]) -> t -- Mark a tensor as a module parameter.")

-- A to-be-closed value that puts grad mode back to `prev` when its scope
-- ends: on return, on error and when an interrupted cell's coroutine is
-- closed (code after a pcall would never run then).
local GradGuard = { __close = function(g) C.set_grad_enabled(g.prev) end }
function nn.grad_mode_guard(on)
    return setmetatable({ prev = C.set_grad_enabled(on and true or false) }, GradGuard)
end
doc(nn.grad_mode_guard, "grad_mode_guard(on) -> guard -- Set grad mode; `local g <close> = nn.grad_mode_guard(false)` " ..
    "puts the previous mode back when g goes out of scope, even if the cell is interrupted.")

function nn.no_grad(fn, ...)
    local guard <close> = nn.grad_mode_guard(false)
    return fn(...)
end
doc(nn.no_grad, "no_grad(fn, ...) -> results -- Call fn with autograd recording off (restored on return, " ..
    "error or interrupt).")

-- ---- Module ------------------------------------------------------------

local Module = {}
Module.__index = Module
Module.__name = "Module"
Module.__is_module = true
nn.Module = Module

local function is_module(x)
    return type(x) == "table" and x.__is_module == true and rawget(x, "_order") ~= nil
end
nn.is_module = is_module

-- An error raised inside lualab's own Lua files (a C check called from
-- nn/layers.lua, say), or one without a place, names the line of the code
-- that called the module instead: m(x) in the user's cell.  Errors from
-- the user's own forward keep their place.
local function rethrow(e)
    if type(e) == "string" then
        local internal = e:match("^lua/lualab/[%w_/]+%.lua:%d+: ")
        if internal or not e:match("^[^\n:]+:%d+: ") then
            local info = debug.getinfo(3, "Sl")
            local where = ""
            if info and info.currentline > 0 then
                where = info.short_src .. ":" .. info.currentline .. ": "
            end
            e = where .. (internal and e:sub(#internal + 1) or e)
        end
    end
    error(e, 0)
end

-- A new instance of class cls: fields assigned to it are recorded in order.
local function instance_mt(cls)
    local mt = rawget(cls, "_instance_mt")
    if mt then
        return mt
    end
    mt = {
        __index = cls,
        __newindex = function(self, k, v)
            local order = rawget(self, "_order")
            if order and type(k) == "string" then
                order[#order + 1] = k
            end
            rawset(self, k, v)
        end,
        __call = function(self, ...)
            -- Frames and Columns go in as Tensors (numeric columns, in order).
            local args = table.pack(...)
            for i = 1, args.n do
                args[i] = as_tensor(args[i])
            end
            local res = table.pack(pcall(self.forward, self, table.unpack(args, 1, args.n)))
            if res[1] then
                return table.unpack(res, 2, res.n)
            end
            rethrow(res[2]) -- not a tail call: level 3 is m(x)'s caller
        end,
        __tostring = function(self)
            return self:__repr()
        end,
        __name = "lualab.Module",
    }
    mt.__display = function(self)
        return self:__repr()
    end
    rawset(cls, "_instance_mt", mt)
    return mt
end

function Module:extend(name)
    local cls = setmetatable({}, { __index = self, __call = function(c, ...)
        return c:new(...)
    end })
    cls.__name = name or "Module"
    cls.__index = cls
    return cls
end

-- A class with _positional = {names...} also takes Lua's one-table call:
-- nn.Linear{4, 2, bias = false} is nn.Linear(4, 2, {bias = false}).
function Module:new(...)
    local obj = setmetatable({ _order = {}, training = true }, instance_mt(self))
    if obj.init then
        local names = rawget(self, "_positional") -- not a subclass's
        if names then
            local args = table.pack(split_args(self.__name, names, 2, ...))
            local known = rawget(self, "_options")
            if known then -- positional arguments are numbers: a table is options
                for i = 1, #names + 1 do
                    local o = args[i]
                    if type(o) == "table" and getmetatable(o) == nil then
                        check_opts(self.__name, o, known, 2)
                    end
                end
            end
            obj:init(table.unpack(args, 1, args.n))
        else
            obj:init(...)
        end
    end
    return obj
end

-- nn.Module{forward = fn, ...}: a one-off module from a table.
setmetatable(Module, {
    __call = function(_, tbl)
        local cls = Module:extend(tbl.name or "Module")
        for k, v in pairs(tbl) do
            cls[k] = v
        end
        return cls:new()
    end,
})

function Module:forward()
    raise(self.__name .. ": forward is not implemented")
end

function Module:register_parameter(name, t)
    self[name] = nn.Parameter(t, t.requires_grad or not param_set[t])
    return t
end

-- Children and parameters in registration order.
function Module:_each(fn)
    for _, k in ipairs(rawget(self, "_order")) do
        local v = rawget(self, k)
        if v ~= nil then
            fn(k, v)
        end
    end
end

function Module:named_children()
    local out = {}
    self:_each(function(k, v)
        if is_module(v) then
            out[#out + 1] = { k, v }
        end
    end)
    return out
end

function Module:children()
    local out = {}
    for _, kv in ipairs(self:named_children()) do
        out[#out + 1] = kv[2]
    end
    return out
end

-- {{name, tensor}, ...} with PyTorch's dotted names; frozen parameters
-- (requires_grad = false) included, as in PyTorch.
function Module:named_parameters(prefix)
    prefix = prefix or ""
    local out = {}
    self:_each(function(k, v)
        if is_tensor(v) and param_set[v] then
            out[#out + 1] = { prefix .. k, v }
        elseif is_module(v) then
            for _, kv in ipairs(v:named_parameters(prefix .. k .. ".")) do
                out[#out + 1] = kv
            end
        end
    end)
    return out
end

function Module:parameters()
    local out = {}
    for _, kv in ipairs(self:named_parameters()) do
        out[#out + 1] = kv[2]
    end
    return out
end

function Module:num_parameters(trainable_only)
    local n = 0
    for _, kv in ipairs(self:named_parameters()) do
        if not trainable_only or kv[2].requires_grad then
            n = n + kv[2]:numel()
        end
    end
    return n
end

function Module:train(on)
    if on == nil then
        on = true
    end
    self.training = on
    for _, c in ipairs(self:children()) do
        c:train(on)
    end
    return self
end

function Module:eval()
    return self:train(false)
end

function Module:zero_grad()
    for _, p in ipairs(self:named_parameters()) do
        local g = p[2].grad
        if g then
            g:zero_()
        end
    end
end

-- An ordered state dict: t[name] = tensor (shared with the model) and
-- t.__keys = {names in order} (hidden from pairs through a metatable).
local StateDict = {}
StateDict.__index = function(t, k)
    if k == "keys" then
        return function()
            return rawget(t, "_keys") or getmetatable(t)._keys
        end
    end
    return nil
end

local function new_state_dict(keys, map)
    local sd = {}
    for _, k in ipairs(keys) do
        sd[k] = map[k]
    end
    return setmetatable(sd, { _keys = keys, __index = function(_, k)
        if k == "_keys" then
            return keys
        end
    end })
end

local function sd_keys(sd)
    local mt = getmetatable(sd)
    if mt and mt._keys then
        return mt._keys
    end
    local keys = {}
    for k in pairs(sd) do
        keys[#keys + 1] = k
    end
    table.sort(keys)
    return keys
end
nn._state_dict_keys = sd_keys

function Module:state_dict()
    local keys, map = {}, {}
    for _, kv in ipairs(self:named_parameters()) do
        keys[#keys + 1] = kv[1]
        map[kv[1]] = kv[2]
    end
    return new_state_dict(keys, map)
end

function Module:load_state_dict(sd, strict)
    if type(sd) ~= "table" then
        raise(string.format("load_state_dict: bad argument #1 (state dict expected, got %s)",
            typename(sd)))
    end
    if strict == nil then
        strict = true
    end
    local own = {}
    local missing, unexpected, bad = {}, {}, {}
    for _, kv in ipairs(self:named_parameters()) do
        own[kv[1]] = kv[2]
        if sd[kv[1]] == nil then
            missing[#missing + 1] = kv[1]
        end
    end
    for _, k in ipairs(sd_keys(sd)) do
        local p = own[k]
        if p == nil then
            unexpected[#unexpected + 1] = k
        elseif not is_tensor(sd[k]) then
            bad[#bad + 1] = k .. " is a " .. type(sd[k]) .. ", not a Tensor"
        elseif shape_str(sd[k]) ~= shape_str(p) then
            bad[#bad + 1] = k .. " has shape " .. shape_str(sd[k]) .. " in the state dict, " .. shape_str(p) .. " in the model"
        end
    end
    local msgs = {}
    if #bad > 0 then
        msgs[#msgs + 1] = "size mismatch: " .. table.concat(bad, "; ")
    end
    if strict and #missing > 0 then
        msgs[#msgs + 1] = "missing keys: " .. table.concat(missing, ", ")
    end
    if strict and #unexpected > 0 then
        msgs[#msgs + 1] = "unexpected keys: " .. table.concat(unexpected, ", ")
    end
    if #msgs > 0 then
        raise("load_state_dict for " .. self.__name .. ": " .. table.concat(msgs, "; "))
    end
    for k, p in pairs(own) do
        if sd[k] ~= nil then
            p:copy_(sd[k])
        end
    end
    return { missing_keys = missing, unexpected_keys = unexpected }
end

function Module:extra_repr()
    return ""
end

function Module:__repr(indent)
    indent = indent or ""
    local kids = self:named_children()
    if #kids == 0 then
        return self.__name .. "(" .. self:extra_repr() .. ")"
    end
    local lines = { self.__name .. "(" }
    for _, kv in ipairs(kids) do
        lines[#lines + 1] = indent .. "  (" .. kv[1] .. "): " .. kv[2]:__repr(indent .. "  ")
    end
    lines[#lines + 1] = indent .. ")"
    return table.concat(lines, "\n")
end

local function uniform(shape, bound)
    return C.rand(shape) * (2 * bound) - bound
end
nn._uniform = uniform

local function argerr(name, n, what, got)
    raise(string.format("%s: bad argument #%d (%s expected, got %s)", name, n, what, typename(got)))
end

-- The rest of the module, one file per job: layers (nn/layers.lua), losses
-- and optimizers (nn/optim.lua), saving and loading (nn/io.lua).  Each gets
-- nn and these shared helpers.
local shared = { C = C, Tensor = Tensor, Module = Module, is_module = is_module, is_tensor = is_tensor,
    shape_str = shape_str, uniform = uniform, argerr = argerr, new_state_dict = new_state_dict,
    sd_keys = sd_keys, doc = doc, split_args = split_args }
require("lualab.nn.layers")(nn, shared)
require("lualab.nn.optim")(nn, shared)
require("lualab.nn.io")(nn, shared)

-- The options each class's constructor reads: others are errors.
local rnn_opts = { "num_layers", "nonlinearity", "batch_first", "bidirectional", "dropout",
    "recurrent_dropout", "bias" }
local class_opts = {
    Linear = { "bias" }, Embedding = { "padding_idx", "weight", "_weight", "freeze" },
    LSTM = rnn_opts, GRU = rnn_opts, RNN = rnn_opts,
    LSTMCell = { "bias" }, GRUCell = { "bias" }, RNNCell = { "nonlinearity", "bias" },
    Conv1d = { "stride", "padding", "dilation", "bias" },
    MaxPool1d = { "stride", "padding" }, AvgPool1d = { "stride", "padding" },
    LayerNorm = { "eps" },
}
for name, known in pairs(class_opts) do
    rawset(nn[name], "_options", known)
end

-- Doc strings of the classes (help(nn.Linear), ?nn.LSTM).
local class_docs = {
    Module = "Module:extend(name) -> class | Module{forward = fn, ...} -> module -- The base of every " ..
        "layer: parameters(), named_parameters(), state_dict(), train()/eval(), zero_grad(); m(x) calls m:forward(x).",
    Linear = "Linear(in_features, out_features [, {bias=true}]) -> Module -- y = x W^T + b over the last dim.",
    Embedding = "Embedding(num_embeddings, embedding_dim [, {padding_idx=}]) -> Module -- Look up rows of " ..
        "a learned table by integer index (0-based).",
    LSTM = "LSTM(input_size, hidden_size [, num_layers=1] [, {batch_first=, bidirectional=, dropout=, bias=}]) " ..
        "-> Module -- Long short-term memory over whole sequences; m(x [, {h0, c0}]) -> output, {h_n, c_n}.",
    GRU = "GRU(input_size, hidden_size [, num_layers=1] [, {batch_first=, bidirectional=, dropout=, bias=}]) " ..
        "-> Module -- Gated recurrent unit over whole sequences; m(x [, h0]) -> output, h_n.",
    RNN = "RNN(input_size, hidden_size [, num_layers=1] [, {nonlinearity=\"tanh\"|\"relu\", batch_first=, " ..
        "bidirectional=, dropout=, bias=}]) -> Module -- Elman recurrent network over whole sequences.",
    LSTMCell = "LSTMCell(input_size, hidden_size [, {bias=true}]) -> Module -- One LSTM step: m(x, {h, c}) -> h, c.",
    GRUCell = "GRUCell(input_size, hidden_size [, {bias=true}]) -> Module -- One GRU step: m(x, h) -> h.",
    RNNCell = "RNNCell(input_size, hidden_size [, {nonlinearity=, bias=}]) -> Module -- One Elman step: m(x, h) -> h.",
    Conv1d = "Conv1d(in_channels, out_channels, kernel_size [, {stride=1, padding=0, dilation=1, bias=true}]) " ..
        "-> Module -- 1-D convolution over (batch, channels, length).",
    MaxPool1d = "MaxPool1d(kernel_size [, stride=kernel_size] [, {padding=0}]) -> Module -- Max over sliding windows " ..
        "of (batch, channels, length).",
    AvgPool1d = "AvgPool1d(kernel_size [, stride=kernel_size] [, {padding=0}]) -> Module -- Mean over sliding " ..
        "windows of (batch, channels, length).",
    GlobalMaxPool1d = "GlobalMaxPool1d() -> Module -- Max over the last dim: (B, C, L) -> (B, C).",
    GlobalAvgPool1d = "GlobalAvgPool1d() -> Module -- Mean over the last dim: (B, C, L) -> (B, C).",
    Dropout = "Dropout([p=0.5]) -> Module -- Zero elements with probability p while training (scaled by 1/(1-p)).",
    LayerNorm = "LayerNorm(normalized_shape [, {eps=1e-5}]) -> Module -- Normalize the last dim, then scale and shift.",
    ReLU = "ReLU() -> Module -- max(x, 0) elementwise.",
    Tanh = "Tanh() -> Module -- tanh(x) elementwise.",
    Sigmoid = "Sigmoid() -> Module -- 1 / (1 + exp(-x)) elementwise.",
    Softplus = "Softplus() -> Module -- log(1 + exp(x)) elementwise.",
    LeakyReLU = "LeakyReLU([negative_slope=0.01]) -> Module -- x, or negative_slope * x below 0.",
    ELU = "ELU([alpha=1]) -> Module -- x, or alpha * (exp(x) - 1) below 0.",
    Softmax = "Softmax([dim=-1]) -> Module -- exp(x) / sum(exp(x)) along dim.",
    LogSoftmax = "LogSoftmax([dim=-1]) -> Module -- log(Softmax(x)) along dim, computed stably.",
    Flatten = "Flatten([start_dim=1]) -> Module -- Merge the dims from start_dim on into one.",
    Identity = "Identity() -> Module -- Return the input unchanged.",
    Sequential = "Sequential{m1, m2, ...} or Sequential(m1, m2, ...) -> Module -- Apply the modules in order.",
    LastStep = "LastStep{batch_first=false} -> Module -- The last time step of a sequence (after an RNN).",
    MSELoss = "MSELoss{reduction=\"mean\"} -> Module -- Mean squared error: loss(input, target).",
    L1Loss = "L1Loss{reduction=\"mean\"} -> Module -- Mean absolute error: loss(input, target).",
    HuberLoss = "HuberLoss{reduction=\"mean\", delta=1} -> Module -- Squared error below delta, absolute above.",
    BCELoss = "BCELoss{reduction=\"mean\"} -> Module -- Binary cross-entropy of probabilities and 0/1 targets.",
    BCEWithLogitsLoss = "BCEWithLogitsLoss{reduction=\"mean\"} -> Module -- Binary cross-entropy of logits " ..
        "(sigmoid inside, stable).",
    CrossEntropyLoss = "CrossEntropyLoss{reduction=\"mean\", ignore_index=-100} -> Module -- Softmax " ..
        "cross-entropy of logits (N, C) and class indices (N).",
    NLLLoss = "NLLLoss{reduction=\"mean\", ignore_index=-100} -> Module -- Negative log-likelihood of " ..
        "log-probabilities (N, C) and class indices (N).",
}
for name, text in pairs(class_docs) do
    doc(nn[name], "nn." .. text)
end
doc(nn.is_module, "is_module(x) -> boolean -- Whether x is an nn Module instance.")
doc(nn.is_tensor, "is_tensor(x) -> boolean -- Whether x is a Tensor.")
local optim_docs = {
    SGD = "SGD(params [, {lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=false}]) -> Optimizer " ..
        "-- Stochastic gradient descent; opt:step(), opt:zero_grad().",
    Adam = "Adam(params [, {lr=1e-3, betas={0.9, 0.999}, eps=1e-8, weight_decay=0}]) -> Optimizer -- Adam.",
    AdamW = "AdamW(params [, {lr=1e-3, betas={0.9, 0.999}, eps=1e-8, weight_decay=1e-2}]) -> Optimizer " ..
        "-- Adam with decoupled weight decay.",
    RMSprop = "RMSprop(params [, {lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0}]) -> Optimizer " ..
        "-- RMSprop.",
    Adagrad = "Adagrad(params [, {lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, " ..
        "eps=1e-10}]) -> Optimizer -- Adagrad.",
}
for name, text in pairs(optim_docs) do
    doc(nn.optim[name], "nn.optim." .. text)
end
local sched_docs = {
    StepLR = "StepLR(opt, {step_size=, gamma=0.1}) -> scheduler -- Multiply lr by gamma every step_size steps.",
    ExponentialLR = "ExponentialLR(opt, {gamma=}) -> scheduler -- Multiply lr by gamma every step.",
    ReduceLROnPlateau = "ReduceLROnPlateau(opt, {mode=\"min\", factor=0.1, patience=10, threshold=1e-4, " ..
        "cooldown=0, min_lr=0}) -> scheduler -- Lower lr when sched:step(metric) stops improving.",
}
for name, text in pairs(sched_docs) do
    doc(nn.optim.lr_scheduler[name], "nn.optim.lr_scheduler." .. text)
end
-- The methods every module has (?m.parameters, help(m.forward)).
for name, text in pairs({
    extend = "Module:extend(name) -> class -- A subclass: define cls:init(...) and cls:forward(x).",
    new = "Class:new(...) -> module -- Make a module (the same as calling the class).",
    forward = "m:forward(x, ...) -> output -- Compute the module's output; m(x) calls it.",
    init = "m:init(...) -- Set up a new module from the constructor's arguments (subclasses define it).",
    register_parameter = "m:register_parameter(name, tensor) -- Make tensor a parameter named name.",
    named_children = "m:named_children() -> {{name, module}...} -- The direct submodules, in order.",
    children = "m:children() -> {module...} -- The direct submodules, in order.",
    named_parameters = "m:named_parameters([prefix]) -> {{name, Tensor}...} -- Every parameter " ..
                       "with PyTorch's dotted name, frozen ones included.",
    parameters = "m:parameters() -> {Tensor...} -- The parameters to hand to an optimizer.",
    num_parameters = "m:num_parameters([trainable_only]) -> n -- The number of parameter elements.",
    train = "m:train([on=true]) -> m -- Training mode (Dropout active) for m and its submodules.",
    eval = "m:eval() -> m -- Evaluation mode, the same as m:train(false).",
    zero_grad = "m:zero_grad() -- Set the gradients of every parameter to zero.",
    state_dict = "m:state_dict() -> table -- The parameters by dotted name, in order (nn.save writes it).",
    load_state_dict = "m:load_state_dict(sd [, strict=true]) -- Copy a state dict's tensors into the " ..
                      "parameters; strict: missing or unexpected names are errors.",
    extra_repr = "m:extra_repr() -> string -- The text inside the module's printed parentheses.",
}) do
    if Module[name] then doc(Module[name], text) end
end
-- A built-in class's own forward and init say whose they are.
local has_doc = (lualab and lualab.doc) or function() return nil end
for cname, cls in pairs(nn) do
    if type(cls) == "table" and rawget(cls, "__index") == cls and cls.__is_module then
        for _, meth in ipairs({"forward", "init", "extra_repr"}) do
            local f = rawget(cls, meth)
            local base = has_doc(Module[meth])
            if type(f) == "function" and not has_doc(f) then
                doc(f, string.format("nn.%s:%s(...) -- %s", cname, meth,
                    base and base:match("%-%- (.*)$") or meth))
            end
        end
    end
end
doc(nn.Sequential.add, "seq:add(module) -> seq -- Append a module to the Sequential.")
if rawget(nn.Sequential, "get_config") then
    doc(nn.Sequential.get_config, "seq:get_config() -> table -- The layers and input shape, as " ..
        "config.json holds them (seq:save(dir) writes it).")
end
doc(nn.utils.clip_grad_norm_, "nn.utils.clip_grad_norm_(params, max_norm) -> total_norm -- Scale the " ..
    "gradients so their joint L2 norm is at most max_norm.")
doc(nn.utils.clip_grad_value_, "nn.utils.clip_grad_value_(params, clip) -> nil -- Clamp every gradient " ..
    "element to [-clip, clip].")

return nn
