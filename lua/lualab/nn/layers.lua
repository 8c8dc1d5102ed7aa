-- lualab.nn.layers: the built-in layers (Linear, Embedding, recurrent layers and
-- cells, Conv1d, pools, Dropout, LayerNorm, activations, Sequential, LastStep).
-- Part of lualab.nn (nn.lua), which calls the function returned here.
local raise = require("lualab._args").raise
return function(nn, shared)
local C, Tensor, Module, is_module, is_tensor, shape_str, uniform, argerr = shared.C, shared.Tensor, shared.Module, shared.is_module, shared.is_tensor, shared.shape_str, shared.uniform, shared.argerr

-- ---- layers ----------------------------------------------------------------


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
            raise(string.format("Embedding(%d, %d): weight has shape %s, expected [%d, %d]", n, d, shape_str(w), n, d))
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
shared.doc(Embedding.from_pretrained, "nn.Embedding.from_pretrained(weight [, {freeze=true, " ..
    "padding_idx=}]) -> Embedding -- An Embedding holding the [n, d] Tensor weight (frozen by default).")
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
        if type(num_layers) == "table" and options == nil then -- LSTM(4, 8, {...})
            num_layers, options = nil, num_layers
        end
        local opts = {}
        for k, v in pairs(options or {}) do opts[k] = v end
        opts.input_size, opts.hidden_size = input_size, hidden
        opts.num_layers = num_layers or opts.num_layers
        local label = cls_name
        if math.type(opts.input_size) ~= "integer" then
            raise(label .. ": input_size must be an integer")
        end
        if math.type(opts.hidden_size) ~= "integer" or opts.hidden_size < 1 then
            raise(label .. ": hidden_size must be a positive integer")
        end
        self.cell = default_cell
        if cls_name == "RNN" and opts.nonlinearity then
            self.cell = opts.nonlinearity
            if self.cell ~= "tanh" and self.cell ~= "relu" then
                raise("RNN: unknown nonlinearity '" .. tostring(self.cell) .. "'")
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
            raise(string.format("%s: input has shape %s, expected 3 dimensions", self._label, shape_str(x)))
        end
        if x:shape(-1) ~= self.input_size then
            raise(string.format("%s: input has shape %s, expected last dimension %d (input_size)", self._label,
                shape_str(x), self.input_size))
        end
        if self.batch_first then
            x = x:transpose(0, 1)
        end
        local B, H = x:shape(1), self.hidden_size
        local dirs = self.bidirectional and 2 or 1
        local nstate = self.num_layers * dirs
        for i, s in ipairs({ h0 or false, c0 or false }) do
            if s and shape_str(s) ~= string.format("[%d, %d, %d]", nstate, B, H) then
                raise(string.format("%s: %s has shape %s, expected [%d, %d, %d]", self._label,
                    i == 1 and "h0" or "c0", shape_str(s), nstate, B, H))
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
            raise(string.format("%s: input has shape %s, expected [batch, %d]", self._label, shape_str(x),
                self.input_size))
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
        raise("Dropout: probability has to be between 0 and 1, but got " .. tostring(p))
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
            raise("Sequential: element " .. i .. " is not a module")
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
end
