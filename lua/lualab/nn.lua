-- lualab.nn: the PyTorch-style front end over the C engine (lualab._nn).
--
-- Modules are Lua tables whose class is made with nn.Module:extend(name);
-- parameters are tensors registered with self:register_parameter or
-- nn.Parameter, children are modules stored in fields.  Registration order is
-- kept (named_parameters and state_dict follow it, as in PyTorch).  Dims and
-- indices given to tensor methods are 0-based like PyTorch's.
local C = require("lualab._nn")
local split_args = require("lualab._args").split

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
        error("Parameter: bad argument #1 (Tensor expected, got " .. type(t) .. ")", 2)
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
            return self:forward(...)
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
            obj:init(split_args(self.__name, names, 2, ...))
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
    error(self.__name .. ": forward is not implemented", 2)
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
        error("load_state_dict for " .. self.__name .. ": " .. table.concat(msgs, "; "), 2)
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

-- ---- layers ----------------------------------------------------------------

local function argerr(name, n, what, got)
    error(string.format("%s: bad argument #%d (%s expected, got %s)", name, n, what, type(got)), 3)
end

local function check_int(name, n, v)
    if math.type(v) ~= "integer" or v < 0 then
        argerr(name, n, "non-negative integer", v)
    end
    return v
end

local Linear = Module:extend("Linear")
nn.Linear = Linear
Linear._positional = { "in_features", "out_features", "bias" }
function Linear:init(in_f, out_f, opts)
    check_int("Linear", 1, in_f)
    check_int("Linear", 2, out_f)
    local bias = true
    if type(opts) == "table" and opts.bias ~= nil then
        bias = opts.bias
    elseif type(opts) == "boolean" then
        bias = opts
    end
    self.in_features, self.out_features = in_f, out_f
    local bound = in_f > 0 and 1 / math.sqrt(in_f) or 0
    self:register_parameter("weight", uniform({ out_f, in_f }, bound))
    if bias then
        self:register_parameter("bias", uniform({ out_f }, bound))
    end
    self._label = string.format("Linear(%d, %d)", in_f, out_f)
end
function Linear:forward(x)
    if not is_tensor(x) then
        argerr(self._label, 1, "Tensor", x)
    end
    return C.linear(x, self.weight, self.bias, self._label)
end
function Linear:extra_repr()
    return string.format("in_features=%d, out_features=%d, bias=%s", self.in_features, self.out_features,
        tostring(self.bias ~= nil))
end

local Embedding = Module:extend("Embedding")
nn.Embedding = Embedding
Embedding._positional = { "num_embeddings", "embedding_dim" }
function Embedding:init(n, d, opts)
    check_int("Embedding", 1, n)
    check_int("Embedding", 2, d)
    opts = opts or {}
    self.num_embeddings, self.embedding_dim = n, d
    self.padding_idx = opts.padding_idx
    if self.padding_idx and self.padding_idx < 0 then
        self.padding_idx = self.padding_idx + n
    end
    local w = opts.weight or opts._weight
    if w then
        if not is_tensor(w) then
            w = C.tensor(w)
        end
        if shape_str(w) ~= "[" .. n .. ", " .. d .. "]" then
            error(string.format("Embedding(%d, %d): weight has shape %s, expected [%d, %d]", n, d, shape_str(w), n, d), 2)
        end
        w = w:clone():detach()
    else
        w = C.randn({ n, d })
        if self.padding_idx then
            for j = 0, d - 1 do
                w:set(self.padding_idx, j, 0)
            end
        end
    end
    self:register_parameter("weight", w)
    if opts.freeze then
        self.weight.requires_grad = false
    end
    self._label = string.format("Embedding(%d, %d)", n, d)
end
function Embedding.from_pretrained(w, opts)
    opts = opts or {}
    local freeze = opts.freeze
    if freeze == nil then
        freeze = true
    end
    local s = w:shape()
    return Embedding(s[1], s[2], { weight = w, freeze = freeze, padding_idx = opts.padding_idx })
end
function Embedding:forward(idx)
    if not is_tensor(idx) then
        idx = C.tensor(idx)
    end
    return C.embedding(idx, self.weight, self.padding_idx or -1, self._label)
end
function Embedding:extra_repr()
    return string.format("%d, %d", self.num_embeddings, self.embedding_dim)
end

-- Recurrent layers: LSTM, GRU, RNN over whole sequences.
local gates_of = { lstm = 4, gru = 3, tanh = 1, relu = 1 }

local function make_rnn(cls_name, default_cell)
    local R = Module:extend(cls_name)
    R._positional = { "input_size", "hidden_size", "num_layers" }
    function R:init(input_size, hidden, num_layers, options)
        local opts = {}
        for k, v in pairs(options or {}) do opts[k] = v end
        opts.input_size, opts.hidden_size = input_size, hidden
        opts.num_layers = num_layers or opts.num_layers
        local label = cls_name
        if math.type(opts.input_size) ~= "integer" then
            error(label .. ": input_size must be an integer", 3)
        end
        if math.type(opts.hidden_size) ~= "integer" or opts.hidden_size < 1 then
            error(label .. ": hidden_size must be a positive integer", 3)
        end
        self.cell = default_cell
        if cls_name == "RNN" and opts.nonlinearity then
            self.cell = opts.nonlinearity
            if self.cell ~= "tanh" and self.cell ~= "relu" then
                error("RNN: unknown nonlinearity '" .. tostring(self.cell) .. "'", 3)
            end
        end
        self.input_size, self.hidden_size = opts.input_size, opts.hidden_size
        self.num_layers = opts.num_layers or 1
        self.batch_first = opts.batch_first or false
        self.bidirectional = opts.bidirectional or false
        self.dropout = opts.dropout or 0
        self.recurrent_dropout = opts.recurrent_dropout or 0
        local bias = opts.bias ~= false
        local G, H = gates_of[self.cell], self.hidden_size
        local dirs = self.bidirectional and 2 or 1
        local bound = 1 / math.sqrt(H)
        for l = 0, self.num_layers - 1 do
            for d = 0, dirs - 1 do
                local sfx = "_l" .. l .. (d == 1 and "_reverse" or "")
                local in_size = l == 0 and self.input_size or H * dirs
                self:register_parameter("weight_ih" .. sfx, uniform({ G * H, in_size }, bound))
                self:register_parameter("weight_hh" .. sfx, uniform({ G * H, H }, bound))
                if bias then
                    self:register_parameter("bias_ih" .. sfx, uniform({ G * H }, bound))
                    self:register_parameter("bias_hh" .. sfx, uniform({ G * H }, bound))
                end
            end
        end
        self._label = string.format("%s(%d, %d%s)", cls_name, self.input_size, H,
            self.num_layers > 1 and (", num_layers=" .. self.num_layers) or "")
    end
    -- forward(x [, h0 | {h0, c0}] [, c0]) -> out, h_n [, c_n]
    function R:forward(x, h0, c0)
        if not is_tensor(x) then
            argerr(self._label, 1, "Tensor", x)
        end
        if type(h0) == "table" and not is_tensor(h0) then
            h0, c0 = h0[1], h0[2]
        end
        local unbatched = x:dim() == 2
        if unbatched then
            x = x:unsqueeze(self.batch_first and 0 or 1)
            if h0 then h0 = h0:unsqueeze(1) end
            if c0 then c0 = c0:unsqueeze(1) end
        end
        if x:dim() ~= 3 then
            error(string.format("%s: input has shape %s, expected 3 dimensions", self._label, shape_str(x)), 2)
        end
        if x:shape(-1) ~= self.input_size then
            error(string.format("%s: input has shape %s, expected last dimension %d (input_size)", self._label,
                shape_str(x), self.input_size), 2)
        end
        if self.batch_first then
            x = x:transpose(0, 1)
        end
        local B, H = x:shape(1), self.hidden_size
        local dirs = self.bidirectional and 2 or 1
        local nstate = self.num_layers * dirs
        for i, s in ipairs({ h0 or false, c0 or false }) do
            if s and shape_str(s) ~= string.format("[%d, %d, %d]", nstate, B, H) then
                error(string.format("%s: %s has shape %s, expected [%d, %d, %d]", self._label,
                    i == 1 and "h0" or "c0", shape_str(s), nstate, B, H), 2)
            end
        end
        local hs, cs = {}, {}
        local layer_in = x
        local training = self.training
        for l = 0, self.num_layers - 1 do
            local outs = {}
            for d = 0, dirs - 1 do
                local k = l * dirs + d
                local sfx = "_l" .. l .. (d == 1 and "_reverse" or "")
                local mask
                if training and self.recurrent_dropout > 0 then
                    mask = C.dropout_mask({ B, H }, self.recurrent_dropout)
                end
                local o, h, c = C.rnn_layer(self.cell, layer_in, h0 and h0:select(0, k), c0 and c0:select(0, k),
                    self["weight_ih" .. sfx], self["weight_hh" .. sfx], self["bias_ih" .. sfx],
                    self["bias_hh" .. sfx], d == 1, mask, self._label)
                outs[#outs + 1] = o
                hs[#hs + 1] = h
                cs[#cs + 1] = c
            end
            layer_in = dirs == 2 and C.cat(outs, 2) or outs[1]
            if l < self.num_layers - 1 and self.dropout > 0 and training then
                layer_in = C.dropout(layer_in, self.dropout, true)
            end
        end
        local out = layer_in
        if self.batch_first then
            out = out:transpose(0, 1)
        end
        local h_n = C.stack(hs, 0)
        local c_n = self.cell == "lstm" and C.stack(cs, 0) or nil
        if unbatched then
            out = out:squeeze(self.batch_first and 0 or 1)
            h_n = h_n:squeeze(1)
            c_n = c_n and c_n:squeeze(1)
        end
        return out, h_n, c_n
    end
    function R:extra_repr()
        local s = string.format("%d, %d", self.input_size, self.hidden_size)
        if self.num_layers > 1 then s = s .. ", num_layers=" .. self.num_layers end
        if self.batch_first then s = s .. ", batch_first=true" end
        if self.bidirectional then s = s .. ", bidirectional=true" end
        return s
    end
    return R
end

nn.LSTM = make_rnn("LSTM", "lstm")
nn.GRU = make_rnn("GRU", "gru")
nn.RNN = make_rnn("RNN", "tanh")

local function make_cell(cls_name, cell)
    local R = Module:extend(cls_name)
    R._positional = { "input_size", "hidden_size" }
    function R:init(in_size, hidden, opts)
        check_int(cls_name, 1, in_size)
        check_int(cls_name, 2, hidden)
        opts = opts or {}
        self.cell = opts.nonlinearity or cell
        self.input_size, self.hidden_size = in_size, hidden
        local G = gates_of[self.cell]
        local bound = 1 / math.sqrt(hidden)
        self:register_parameter("weight_ih", uniform({ G * hidden, in_size }, bound))
        self:register_parameter("weight_hh", uniform({ G * hidden, hidden }, bound))
        if opts.bias ~= false then
            self:register_parameter("bias_ih", uniform({ G * hidden }, bound))
            self:register_parameter("bias_hh", uniform({ G * hidden }, bound))
        end
        self._label = string.format("%s(%d, %d)", cls_name, in_size, hidden)
    end
    -- forward(x [, h | {h, c}] [, c]) -> h [, c]
    function R:forward(x, h, c)
        if not is_tensor(x) then
            argerr(self._label, 1, "Tensor", x)
        end
        if type(h) == "table" and not is_tensor(h) then
            h, c = h[1], h[2]
        end
        local unbatched = x:dim() == 1
        if unbatched then
            x = x:unsqueeze(0)
            if h then h = h:unsqueeze(0) end
            if c then c = c:unsqueeze(0) end
        end
        if x:dim() ~= 2 or x:shape(1) ~= self.input_size then
            error(string.format("%s: input has shape %s, expected [batch, %d]", self._label, shape_str(x),
                self.input_size), 2)
        end
        local _, h1, c1 = C.rnn_layer(self.cell, x:unsqueeze(0), h, c, self.weight_ih, self.weight_hh,
            self.bias_ih, self.bias_hh, false, nil, self._label)
        if unbatched then
            h1 = h1:squeeze(0)
            c1 = c1 and c1:squeeze(0)
        end
        return h1, c1
    end
    function R:extra_repr()
        return string.format("%d, %d", self.input_size, self.hidden_size)
    end
    return R
end

nn.LSTMCell = make_cell("LSTMCell", "lstm")
nn.GRUCell = make_cell("GRUCell", "gru")
nn.RNNCell = make_cell("RNNCell", "tanh")

local Conv1d = Module:extend("Conv1d")
nn.Conv1d = Conv1d
Conv1d._positional = { "in_channels", "out_channels", "kernel_size" }
function Conv1d:init(in_c, out_c, k, opts)
    check_int("Conv1d", 1, in_c)
    check_int("Conv1d", 2, out_c)
    check_int("Conv1d", 3, k)
    opts = opts or {}
    self.in_channels, self.out_channels, self.kernel_size = in_c, out_c, k
    self.stride, self.padding, self.dilation = opts.stride or 1, opts.padding or 0, opts.dilation or 1
    local bound = 1 / math.sqrt(in_c * k)
    self:register_parameter("weight", uniform({ out_c, in_c, k }, bound))
    if opts.bias ~= false then
        self:register_parameter("bias", uniform({ out_c }, bound))
    end
    self._label = string.format("Conv1d(%d, %d, kernel_size=%d)", in_c, out_c, k)
end
function Conv1d:forward(x)
    return C.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self._label)
end
function Conv1d:extra_repr()
    return string.format("%d, %d, kernel_size=%d, stride=%d", self.in_channels, self.out_channels,
        self.kernel_size, self.stride)
end

local function pool_class(name, is_max)
    local P = Module:extend(name)
    P._positional = { "kernel_size", "stride" }
    function P:init(k, stride, opts)
        check_int(name, 1, k)
        if type(stride) == "table" then
            stride, opts = nil, stride
        end
        opts = opts or {}
        self.kernel_size, self.stride, self.padding = k, stride or opts.stride or k, opts.padding or 0
    end
    function P:forward(x)
        return C.pool1d(x, is_max, self.kernel_size, self.stride, self.padding, name)
    end
    function P:extra_repr()
        return string.format("kernel_size=%d, stride=%d", self.kernel_size, self.stride)
    end
    return P
end
nn.MaxPool1d = pool_class("MaxPool1d", true)
nn.AvgPool1d = pool_class("AvgPool1d", false)

-- Global pooling over the last dim of (B, C, L) -> (B, C).
nn.GlobalMaxPool1d = Module:extend("GlobalMaxPool1d")
function nn.GlobalMaxPool1d:forward(x)
    return (x:max(-1))
end
nn.GlobalAvgPool1d = Module:extend("GlobalAvgPool1d")
function nn.GlobalAvgPool1d:forward(x)
    return x:mean(-1)
end

local Dropout = Module:extend("Dropout")
nn.Dropout = Dropout
Dropout._positional = { "p" }
function Dropout:init(p)
    p = p or 0.5
    if type(p) ~= "number" or p < 0 or p > 1 then
        error("Dropout: probability has to be between 0 and 1, but got " .. tostring(p), 3)
    end
    self.p = p
end
function Dropout:forward(x)
    return C.dropout(x, self.p, self.training)
end
function Dropout:extra_repr()
    return "p=" .. self.p
end

local LayerNorm = Module:extend("LayerNorm")
nn.LayerNorm = LayerNorm
LayerNorm._positional = { "normalized_shape" }
function LayerNorm:init(d, opts)
    check_int("LayerNorm", 1, d)
    opts = opts or {}
    self.normalized_shape, self.eps = d, opts.eps or 1e-5
    self:register_parameter("weight", C.ones({ d }))
    self:register_parameter("bias", C.zeros({ d }))
end
function LayerNorm:forward(x)
    return C.layer_norm(x, self.weight, self.bias, self.eps, "LayerNorm(" .. self.normalized_shape .. ")")
end

local function act(name, fn, arg_name)
    local A = Module:extend(name)
    A._positional = { arg_name }
    function A:init(arg)
        self.arg = arg
    end
    function A:forward(x)
        return fn(x, self.arg)
    end
    nn[name] = A
end
act("ReLU", function(x) return x:relu() end)
act("Tanh", function(x) return x:tanh() end)
act("Sigmoid", function(x) return x:sigmoid() end)
act("Softplus", function(x) return x:softplus() end)
act("LeakyReLU", function(x, a) return x:leaky_relu(a or 0.01) end, "negative_slope")
act("ELU", function(x, a) return x:elu(a or 1) end, "alpha")
act("Softmax", function(x, d) return x:softmax(d or -1) end, "dim")
act("LogSoftmax", function(x, d) return x:log_softmax(d or -1) end, "dim")
act("Flatten", function(x, d) return x:flatten(d or 1) end, "start_dim")
act("Identity", function(x) return x end)

local Sequential = Module:extend("Sequential")
nn.Sequential = Sequential
function Sequential:init(mods, ...)
    if is_module(mods) then
        mods = { mods, ... }
    end
    for i, m in ipairs(mods or {}) do
        if not is_module(m) then
            error("Sequential: element " .. i .. " is not a module", 3)
        end
        self[tostring(i - 1)] = m
    end
end
function Sequential:add(m)
    self[tostring(#self:children())] = m
    return self
end
-- Each module gets the previous module's first result only (as PyTorch's
-- Sequential passes one value): an LSTM passes its output sequence on and its
-- final states are dropped; nn.LastStep picks the last time step.  The last
-- module's results are all returned.
function Sequential:forward(x, ...)
    if is_tensor(x) and x:dim() >= 2 then
        rawset(self, "_seen_shape", x:shape())
    end
    local out = table.pack(x, ...)
    for i, m in ipairs(self:children()) do
        if i == 1 then
            out = table.pack(m(table.unpack(out, 1, out.n)))
        else
            out = table.pack(m(out[1]))
        end
    end
    return table.unpack(out, 1, out.n)
end

-- LastStep{batch_first = false}: the last time step of a sequence, x[-1]
-- ((time, batch, features) -> (batch, features)), or x[:, -1] with
-- batch_first = true; set it as the recurrent layer before it.
local LastStep = Module:extend("LastStep")
nn.LastStep = LastStep
function LastStep:init(opts)
    opts = opts or {}
    if type(opts) ~= "table" then
        argerr("LastStep", 1, "table", opts)
    end
    self.batch_first = opts.batch_first or false
end
function LastStep:forward(x)
    if not is_tensor(x) then
        argerr("LastStep", 1, "Tensor", x)
    end
    local dim = (self.batch_first and x:dim() >= 3) and 1 or 0
    return x:select(dim, x:shape(dim) - 1)
end
function LastStep:extra_repr()
    return self.batch_first and "batch_first=true" or ""
end

-- ---- losses -------------------------------------------------------------

local function loss_class(name, kind)
    local L = Module:extend(name)
    function L:init(opts)
        opts = opts or {}
        self.reduction = opts.reduction or "mean"
        self.delta = opts.delta or 1.0
        self.ignore_index = opts.ignore_index or -100
    end
    function L:forward(input, target)
        if not is_tensor(input) then
            argerr(name, 1, "Tensor", input)
        end
        if not is_tensor(target) then
            if type(target) == "table" or type(target) == "number" then
                target = C.tensor(target)
            else
                argerr(name, 2, "Tensor", target)
            end
        end
        return C.loss(kind, input, target, self.reduction, self.delta, self.ignore_index)
    end
    nn[name] = L
end
loss_class("MSELoss", "mse")
loss_class("L1Loss", "l1")
loss_class("HuberLoss", "huber")
loss_class("BCELoss", "bce")
loss_class("BCEWithLogitsLoss", "bce_logits")
loss_class("CrossEntropyLoss", "cross_entropy")
loss_class("NLLLoss", "nll")

-- ---- optimizers ------------------------------------------------------------

nn.optim = { lr_scheduler = {} }

local Optim = {}
Optim.__index = Optim

local function params_list(params, name)
    if is_module(params) then
        params = params:parameters()
    end
    if type(params) ~= "table" then
        error(name .. ": bad argument #1 (table of parameters expected, got " .. type(params) .. ")", 3)
    end
    local out = {}
    for i, p in ipairs(params) do
        if not is_tensor(p) then
            error(name .. ": parameter " .. i .. " is a " .. type(p) .. ", not a Tensor", 3)
        end
        out[#out + 1] = p
    end
    return out
end

local function optim_class(name, kind)
    nn.optim[name] = function(params, opts)
        opts = opts or {}
        if type(opts) == "number" then
            opts = { lr = opts }
        end
        local ps = params_list(params, name)
        local self = setmetatable({ name = name, params = ps, defaults = opts }, Optim)
        self._c = C.optimizer(kind, ps, opts)
        self.param_groups = { { lr = self._c:lr(), params = ps } }
        return self
    end
end
optim_class("SGD", "sgd")
optim_class("Adam", "adam")
optim_class("AdamW", "adamw")
optim_class("RMSprop", "rmsprop")
optim_class("Adagrad", "adagrad")

function Optim:step(closure)
    local loss
    if closure then
        loss = closure()
    end
    -- param_groups[1].lr may have been changed by the user or a scheduler
    if self.param_groups[1].lr ~= self._c:lr() then
        self._c:lr(self.param_groups[1].lr)
    end
    self._c:step()
    return loss
end
function Optim:zero_grad()
    self._c:zero_grad()
end
function Optim:get_lr()
    return self.param_groups[1].lr
end
function Optim:set_lr(lr)
    self.param_groups[1].lr = lr
    self._c:lr(lr)
end
Optim.__tostring = function(self)
    return string.format("%s(lr=%g)", self.name, self:get_lr())
end

local function sched(name, stepfn)
    nn.optim.lr_scheduler[name] = function(opt, opts)
        opts = opts or {}
        local s = { opt = opt, opts = opts, base_lr = opt:get_lr(), last_epoch = 0, best = nil, bad = 0,
            cooldown = 0 }
        s.step = stepfn
        s.get_last_lr = function(self)
            return { self.opt:get_lr() }
        end
        return s
    end
end
sched("StepLR", function(self)
    self.last_epoch = self.last_epoch + 1
    local g = self.opts.gamma or 0.1
    self.opt:set_lr(self.base_lr * g ^ (self.last_epoch // self.opts.step_size))
end)
sched("ExponentialLR", function(self)
    self.last_epoch = self.last_epoch + 1
    self.opt:set_lr(self.base_lr * self.opts.gamma ^ self.last_epoch)
end)
sched("ReduceLROnPlateau", function(self, metric)
    if type(metric) ~= "number" then
        error("ReduceLROnPlateau:step: bad argument #1 (number expected, got " .. type(metric) .. ")", 2)
    end
    local o = self.opts
    local mode, th = o.mode or "min", o.threshold or 1e-4
    local better
    if self.best == nil then
        better = true
    elseif mode == "min" then
        better = metric < self.best * (1 - th)
    else
        better = metric > self.best * (1 + th)
    end
    if better then
        self.best, self.bad = metric, 0
    else
        self.bad = self.bad + 1
    end
    if self.cooldown > 0 then
        self.cooldown = self.cooldown - 1
        self.bad = 0
    end
    if self.bad > (o.patience or 10) then
        local new = math.max(self.opt:get_lr() * (o.factor or 0.1), o.min_lr or 0)
        self.opt:set_lr(new)
        self.cooldown = o.cooldown or 0
        self.bad = 0
    end
end)

nn.utils = {}
function nn.utils.clip_grad_norm_(params, max_norm)
    return C.clip_grad_norm(params_list(params, "clip_grad_norm_"), max_norm)
end
function nn.utils.clip_grad_value_(params, clip)
    return C.clip_grad_value(params_list(params, "clip_grad_value_"), clip)
end

-- ---- save / load -----------------------------------------------------------

function nn.save(sd, path)
    if is_module(sd) then
        sd = sd:state_dict()
    end
    if type(sd) ~= "table" then
        error("save: bad argument #1 (state dict expected, got " .. type(sd) .. ")", 2)
    end
    if type(path) ~= "string" then
        error("save: bad argument #2 (path expected, got " .. type(path) .. ")", 2)
    end
    local names, ts = {}, {}
    local keys = sd_keys(sd)
    for _, k in ipairs(keys) do
        if not is_tensor(sd[k]) then
            error("save: key '" .. k .. "' is a " .. type(sd[k]) .. ", not a Tensor", 2)
        end
        names[#names + 1] = k
        ts[#ts + 1] = sd[k]
    end
    local ok, err = C.save_tensors(path, names, ts)
    if not ok then
        error("save: " .. err, 2)
    end
    return true
end
doc(nn.save, "save(state_dict | module, path) -- Write the tensors as safetensors (PyTorch names).")

function nn.load(path)
    local map, names = C.load_tensors(path)
    if not map then
        return nil, names
    end
    return new_state_dict(names, map)
end
doc(nn.load, "load(path) -> state_dict | nil, msg -- Read a safetensors file.")

-- ---- models: save(dir) / load_model(dir) ------------------------------------

-- The layer types a saved Sequential may hold: their constructor options
-- (config) and how to rebuild them.  Anything else (a Module written in
-- Lua) has no description, so it cannot be saved as a model.
local function rnn_config(m)
    local c = { input_size = m.input_size, hidden_size = m.hidden_size, num_layers = m.num_layers,
        batch_first = m.batch_first, bidirectional = m.bidirectional, bias = m.bias_ih_l0 ~= nil,
        dropout = m.dropout }
    if m.__name == "RNN" then
        c.nonlinearity = m.cell
    end
    return c
end
local function opt_arg(m)
    return m.arg
end
local model_layers = {
    Linear = { config = function(m)
        return { in_features = m.in_features, out_features = m.out_features, bias = m.bias ~= nil }
    end, build = function(c)
        return nn.Linear(c.in_features, c.out_features, { bias = c.bias ~= false })
    end },
    Embedding = { config = function(m)
        return { num_embeddings = m.num_embeddings, embedding_dim = m.embedding_dim, padding_idx = m.padding_idx }
    end, build = function(c)
        return nn.Embedding(c.num_embeddings, c.embedding_dim, { padding_idx = c.padding_idx })
    end },
    Dropout = { config = function(m) return { p = m.p } end, build = function(c) return nn.Dropout(c.p) end },
    LayerNorm = { config = function(m)
        return { normalized_shape = m.normalized_shape, eps = m.eps }
    end, build = function(c)
        return nn.LayerNorm(c.normalized_shape, { eps = c.eps })
    end },
    LastStep = { config = function(m) return { batch_first = m.batch_first } end,
        build = function(c) return nn.LastStep { batch_first = c.batch_first } end },
    Conv1d = { config = function(m)
        return { in_channels = m.in_channels, out_channels = m.out_channels, kernel_size = m.kernel_size,
            stride = m.stride, padding = m.padding, dilation = m.dilation, bias = m.bias ~= nil }
    end, build = function(c)
        return nn.Conv1d(c.in_channels, c.out_channels, c.kernel_size,
            { stride = c.stride, padding = c.padding, dilation = c.dilation, bias = c.bias })
    end },
}
for _, name in ipairs({ "LSTM", "GRU", "RNN" }) do
    model_layers[name] = { config = rnn_config, build = function(c)
        return nn[name](c)
    end }
end
for _, name in ipairs({ "MaxPool1d", "AvgPool1d" }) do
    model_layers[name] = { config = function(m)
        return { kernel_size = m.kernel_size, stride = m.stride, padding = m.padding }
    end, build = function(c)
        return nn[name](c.kernel_size, { stride = c.stride, padding = c.padding })
    end }
end
for _, name in ipairs({ "GlobalMaxPool1d", "GlobalAvgPool1d", "ReLU", "Tanh", "Sigmoid", "Softplus", "Identity" }) do
    model_layers[name] = { config = function() return {} end, build = function() return nn[name]() end }
end
-- Activations with one optional argument, under PyTorch's option name.
for name, key in pairs({ LeakyReLU = "negative_slope", ELU = "alpha", Softmax = "dim", LogSoftmax = "dim",
    Flatten = "start_dim" }) do
    model_layers[name] = { config = function(m)
        return { [key] = opt_arg(m) }
    end, build = function(c)
        return nn[name](c[key])
    end }
end
nn._model_layers = model_layers

local function layer_kind(m)
    local cls = getmetatable(m) and getmetatable(m).__index
    local name = type(cls) == "table" and rawget(cls, "__name")
    if name and model_layers[name] and nn[name] == cls then
        return name
    end
    return nil
end

Module._flavor = "nn"

local function not_a_model(what)
    error("save: " .. what .. "; only an nn.Sequential of built-in layers can be saved as a model " ..
        "(config.json + weights.safetensors); save the weights with nn.save(model:state_dict(), path)", 3)
end

function Module:save()
    if layer_kind(self) then
        not_a_model(string.format("a %s alone is not a model (wrap it: nn.Sequential{layer})", self.__name))
    end
    not_a_model(string.format("%s is a Module written in Lua (its forward cannot be described by a config)",
        self.__name))
end
doc(Module.save, "module:save(dir) -- Only nn.Sequential of built-in layers saves as a model; " ..
    "for other modules use nn.save(module:state_dict(), path).")

-- Whether the input is (time, batch, ...): the first recurrent layer (else
-- the first LastStep) has batch_first = false (nil without either).
local function time_major(kids)
    for _, kv in ipairs(kids) do
        local k = layer_kind(kv[2])
        if k == "LSTM" or k == "GRU" or k == "RNN" then
            return not kv[2].batch_first
        end
    end
    for _, kv in ipairs(kids) do
        if layer_kind(kv[2]) == "LastStep" then
            return not kv[2].batch_first
        end
    end
    return nil
end

function Sequential:get_config()
    local json = require("lualab.json")
    local layers = {}
    local kids = self:named_children()
    for i, kv in ipairs(kids) do
        local kind = layer_kind(kv[2])
        if not kind then
            not_a_model(string.format("layer %d ('%s') is %s, not a built-in layer", i, kv[1],
                is_module(kv[2]) and ("a " .. kv[2].__name .. " Module written in Lua") or type(kv[2])))
        end
        layers[i] = { type = kind, name = kv[1], config = model_layers[kind].config(kv[2]) }
    end
    -- The input shape without the batch: set by the user, else the last
    -- batch seen by forward, else a first Linear's in_features.
    local shape = self.input_shape
    if not shape and self._seen_shape then
        shape = {}
        local skip = time_major(kids) and 2 or 1
        for i, d in ipairs(self._seen_shape) do
            if i ~= skip then shape[#shape + 1] = d end
        end
    end
    if not shape and #kids > 0 and layer_kind(kids[1][2]) == "Linear" then
        shape = { kids[1][2].in_features }
    end
    return { class_name = "Sequential", format = "lualab-nn 1", layers = json.array(layers),
        input_shape = shape and json.array(shape) or json.null }
end

function Sequential:save(dir, opts)
    if type(dir) ~= "string" then
        error("save: bad argument #1 (directory path expected, got " .. type(dir) .. ")", 2)
    end
    opts = opts or {}
    local json, fs = require("lualab.json"), require("lualab._fs")
    local saved = self.input_shape
    if opts.input_shape then
        self.input_shape = opts.input_shape
    end
    local ok, cfg = pcall(self.get_config, self)
    self.input_shape = saved
    if not ok then
        error(cfg, 2)
    end
    local mok, merr = fs.mkdir_p(dir)
    if not mok then
        error("save: " .. merr, 2)
    end
    -- Weights first: config.json appearing marks a complete model.
    local names, ts = {}, {}
    for _, kv in ipairs(self:named_parameters()) do
        names[#names + 1] = kv[1]
        ts[#ts + 1] = kv[2]
    end
    local wok, err = C.save_tensors(dir .. "/weights.safetensors", names, ts)
    if not wok then
        error("save: " .. err, 2)
    end
    local cok, cerr = fs.write_file(dir .. "/config.json", json.encode(cfg, 2) .. "\n")
    if not cok then
        error("save: " .. cerr, 2)
    end
    return dir
end
doc(Sequential.save, "Sequential:save(dir [, {input_shape=}]) -> dir -- Write dir/config.json (the layers and " ..
    "their options) and dir/weights.safetensors (the state dict); nn.load_model(dir) rebuilds it.")

function nn.load_model(dir)
    if type(dir) ~= "string" then
        error("load_model: bad argument #1 (directory path expected, got " .. type(dir) .. ")", 2)
    end
    local json, fs = require("lualab.json"), require("lualab._fs")
    local cfile, wfile = dir .. "/config.json", dir .. "/weights.safetensors"
    local text, msg = fs.read_file(cfile)
    if not text then
        error("load_model: " .. msg, 2)
    end
    local cfg, jerr = json.decode(text, cfile)
    if jerr then
        error("load_model: " .. jerr, 2)
    end
    if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" or type(cfg.layers) ~= "table" then
        error("load_model: " .. cfile .. ": not an nn.Sequential config (class_name and layers)", 2)
    end
    local mods = {}
    for i, spec in ipairs(cfg.layers) do
        local kind = type(spec) == "table" and spec.type
        local h = model_layers[kind]
        if not h then
            error(string.format("load_model: %s: layer %d ('%s'): unknown layer type '%s'", cfile, i,
                tostring(type(spec) == "table" and spec.name), tostring(kind)), 2)
        end
        local c = {}
        for k, v in pairs(type(spec.config) == "table" and spec.config or {}) do
            if v ~= json.null then c[k] = v end
        end
        local bok, m = pcall(h.build, c)
        if not bok then
            error(string.format("load_model: %s: layer %d ('%s'): %s", cfile, i, tostring(spec.name), m), 2)
        end
        mods[i] = m
    end
    local model = nn.Sequential(mods)
    if type(cfg.input_shape) == "table" then
        rawset(model, "input_shape", cfg.input_shape)
    end
    local map, names = C.load_tensors(wfile)
    if not map then
        error("load_model: " .. names, 2)
    end
    local own = {}
    for _, kv in ipairs(model:named_parameters()) do
        local t = map[kv[1]]
        if t == nil then
            error("load_model: " .. wfile .. " lacks the weight '" .. kv[1] .. "'", 2)
        end
        if shape_str(t) ~= shape_str(kv[2]) then
            error(string.format("load_model: %s: weight '%s' has shape %s, expected %s", wfile, kv[1], shape_str(t),
                shape_str(kv[2])), 2)
        end
        own[kv[1]] = true
    end
    for _, n in ipairs(names) do
        if not own[n] then
            error("load_model: " .. wfile .. ": unexpected weight '" .. n .. "'", 2)
        end
    end
    nn.no_grad(function()
        for _, kv in ipairs(model:named_parameters()) do
            kv[2]:copy_(map[kv[1]])
        end
    end)
    return model:eval()
end
doc(nn.load_model, "load_model(dir) -> Sequential -- Rebuild a model saved with Sequential:save(dir) " ..
    "(config.json + weights.safetensors), in eval mode.")

return nn
