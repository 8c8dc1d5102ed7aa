-- keras.layers: Keras layers over nn's modules.  A layer knows its config,
-- builds its weights from the input shape (without the batch dimension)
-- with Keras' initializers, and runs forward through nn.  Weights are kept
-- in PyTorch's layout inside nn modules; get_weights/set_weights speak
-- Keras' layout (Dense kernel in x out, LSTM kernel D x 4H, ...).
local raise = require("lualab._args").raise
local B = require("lualab.keras.backend")
local split = require("lualab._args").split

local M = {}

local function doc(f, s)
    if lualab and lualab.doc then lualab.doc(f, s) end
    return f
end

-- Per-class name counters: "dense", "dense_1", ... as Keras names layers.
local counters = {}
function M.unique_name(base)
    local n = counters[base]
    counters[base] = (n or -1) + 1
    if n == nil then return base end
    return base .. "_" .. (n + 1)
end
function M.reset_names() counters = {} end
doc(M.unique_name, "keras.layers.unique_name(base) -> string -- The next automatic layer name: " ..
    "\"dense\", \"dense_1\", ...")
doc(M.reset_names, "keras.layers.reset_names() -- Start automatic layer names from \"dense\" again.")

-- Keras' to_snake_case: "MaxPooling1D" -> "max_pooling1d".
local function snake(class_name)
    local s = class_name:gsub("(.)(%u[%l%d]+)", "%1_%2")
    s = s:gsub("(%l)(%u)", "%1_%2")
    return s:lower()
end

local Layer = {}
Layer.__index = Layer
M.Layer = Layer

function Layer.__tostring(l)
    return string.format("<%s %s>", l.class_name, l.name)
end

local function check_opts(opts, where, allowed)
    if opts == nil then return {} end
    if type(opts) ~= "table" then
        raise(where .. ": options table expected, got " .. type(opts))
    end
    local checked = require("lualab._args").check_opts(where, opts, allowed, 4)
    return checked -- not a tail call: the level counts this frame
end

local common = {name = true, trainable = true, input_shape = true,
                input_dim = true, batch_input_shape = true, dtype = true}

-- A new layer of class_name from opts (positional args already folded in).
local function new_layer(class_name, opts, allowed)
    local all = {}
    for k in pairs(common) do all[k] = true end
    for k in pairs(allowed) do all[k] = true end
    opts = check_opts(opts, class_name, all)
    local l = setmetatable({class_name = class_name, opts = opts,
                            name = opts.name or M.unique_name(snake(class_name)),
                            trainable = opts.trainable ~= false,
                            built = false, params = {}}, Layer)
    if opts.input_shape then
        l.declared_input = opts.input_shape
    elseif opts.input_dim then
        l.declared_input = {opts.input_dim}
    end
    return l
end

local function set(...)
    local s = {}
    for _, k in ipairs({...}) do s[k] = true end
    return s
end

local function positive_int(v, what, where)
    v = math.tointeger(v) or v -- 8.0 read from JSON is the integer 8
    if math.type(v) ~= "integer" or v < 1 then
        raise(string.format("%s: %s must be a positive integer, got %s",
                            where, what, tostring(v)))
    end
    return v
end

local function rate(v, what, where)
    v = v or 0
    if type(v) ~= "number" or v < 0 or v >= 1 then
        raise(string.format("%s: %s must be in [0, 1), got %s", where, what,
                            tostring(v)))
    end
    return v
end

-- Activations ------------------------------------------------------------

local activations = {
    linear = function(x) return x end,
    sigmoid = function(x) return x:sigmoid() end,
    tanh = function(x) return x:tanh() end,
    relu = function(x) return x:relu() end,
    softmax = function(x) return B.softmax(x) end,
    elu = function(x) return B.elu(x) end,
    softplus = function(x) return x:softplus() end,
}
M.activations = activations

local function activation(name, where)
    if name == nil then return "linear" end
    if not activations[name] then
        raise(string.format("%s: unknown activation '%s'", where, tostring(name)))
    end
    return name
end

-- Parameters ---------------------------------------------------------------

-- Register a weight: keras_name ("kernel"), torch name ("weight"), the
-- tensor in torch layout, and how to convert from/to Keras' layout.
function Layer:_param(keras_name, tensor, keras_shape, to_keras, from_keras,
                      trainable)
    local p = {name = keras_name, tensor = tensor, keras_shape = keras_shape,
               to_keras = to_keras, from_keras = from_keras,
               trainable = trainable ~= false}
    self.params[#self.params + 1] = p
    return p
end

function Layer:count_params()
    local total, trainable = 0, 0
    for _, p in ipairs(self.params) do
        local n = 1
        for _, d in ipairs(p.keras_shape) do n = n * d end
        total = total + n
        if self.trainable and p.trainable then trainable = trainable + n end
    end
    return total, trainable
end

function Layer:trainable_tensors(out)
    out = out or {}
    if self.trainable then
        for _, p in ipairs(self.params) do
            if p.trainable then
                out[#out + 1] = p.tensor
                if p.extra then out[#out + 1] = p.extra end
            end
        end
    end
    return out
end

-- Keras' get_weights(): flat lists in Keras layout, as tensors.
function Layer:get_weights()
    local out = {}
    for _, p in ipairs(self.params) do
        out[#out + 1] = p.to_keras(p.tensor)
    end
    return out
end

function Layer:set_weights(ws)
    if #ws ~= #self.params then
        raise(string.format("layer %s: set_weights expects %d arrays, got %d",
                            self.name, #self.params, #ws))
    end
    for i, p in ipairs(self.params) do
        local w = ws[i]
        if type(w) ~= "table" and not (type(w) == "userdata" and w.shape) then
            raise(string.format("layer %s: weight '%s' must be a Tensor or " ..
                "nested tables, got %s", self.name, p.name, type(w)))
        end
        w = B.as_tensor(w, "weight")
        local got = w:shape()
        local ok = #got == #p.keras_shape
        for k = 1, #got do ok = ok and got[k] == p.keras_shape[k] end
        if not ok then
            raise(string.format("layer %s: weight '%s' has shape %s, expected %s",
                self.name, p.name, B.dims_str(got), B.dims_str(p.keras_shape)))
        end
        if p.assign then p.assign(w) else B.assign(p.tensor, p.from_keras(w)) end
    end
end

-- Keras-initialised tensor in torch layout from a Keras-layout init.
local function init_param(init, keras_shape, to_torch_flat)
    local flat = init(keras_shape)
    local torch_flat, torch_shape = to_torch_flat(flat, keras_shape)
    return B.leaf(torch_flat, torch_shape)
end

local function same(flat, shape) return flat, shape end
local function ident(t) return B.copy(t) end

-- A 2-d Keras kernel (rows x cols) stored transposed (cols x rows).
local function transposed(rows, cols)
    return function(flat)
        return B.flat_transpose(flat, rows, cols), {cols, rows}
    end
end
local function t2(t) return B.transpose2(t) end

-- Input ---------------------------------------------------------------------

M.Input = doc(function(opts)
    if type(opts) == "table" and getmetatable(opts) == nil and opts[1] ~= nil then
        local shape, rest = split("Input", {"shape"}, 2, opts)
        rest.shape, opts = shape, rest
    end
    if type(opts) ~= "table" or type(opts.shape) ~= "table" then
        raise("Input: shape must be a table of sizes (without the batch), " ..
              "e.g. Input{shape={15}}")
    end
    for i, d in ipairs(opts.shape) do positive_int(d, "shape[" .. i .. "]", "Input") end
    return {class_name = "InputLayer", shape = opts.shape,
            name = opts.name or M.unique_name("input"), is_input = true}
end, "keras.Input{shape={...}} -- The input of a Sequential model (shape " ..
     "without the batch).")

-- Dense -----------------------------------------------------------------------

M.Dense = doc(function(units, opts)
    units, opts = split("Dense", {"units"}, 2, units, opts)
    opts = opts or {}
    local l = new_layer("Dense", opts, set("units", "activation", "use_bias",
        "kernel_initializer", "bias_initializer"))
    l.units = positive_int(units, "units", "Dense")
    l.activation = activation(opts.activation, "Dense")
    l.use_bias = opts.use_bias ~= false
    l.kernel_initializer = B.initializer(opts.kernel_initializer or
                                         "glorot_uniform", "Dense")
    l.bias_initializer = B.initializer(opts.bias_initializer or "zeros", "Dense")
    function l:compute_output_shape(s)
        local out = {table.unpack(s)}
        out[#out] = self.units
        return out
    end
    function l:build(s)
        local d = s[#s]
        self.kernel = self:_param("kernel",
            init_param(self.kernel_initializer, {d, self.units},
                       transposed(d, self.units)),
            {d, self.units}, t2, t2)
        if self.use_bias then
            self.bias = self:_param("bias",
                init_param(self.bias_initializer, {self.units}, same),
                {self.units}, ident, ident)
        end
    end
    function l:call(x)
        local y = B.linear(self, x, self.kernel.tensor,
                           self.bias and self.bias.tensor)
        return activations[self.activation](y)
    end
    function l:get_config()
        return {units = self.units, activation = self.activation,
                use_bias = self.use_bias}
    end
    return l
end, "keras.layers.Dense(units, {activation=, use_bias=true}) -- A densely " ..
     "connected layer (glorot_uniform kernel, zero bias).")

-- Activation / Dropout / Flatten / RepeatVector ---------------------------------

M.Activation = doc(function(name, opts)
    name, opts = split("Activation", {"activation"}, 2, name, opts)
    local l = new_layer("Activation", opts, set())
    l.activation = activation(name, "Activation")
    function l:compute_output_shape(s) return s end
    function l:build() end
    function l:call(x) return activations[self.activation](x) end
    function l:get_config() return {activation = self.activation} end
    return l
end, "keras.layers.Activation(name) -- Apply an activation.")

M.Dropout = doc(function(r, opts)
    r, opts = split("Dropout", {"rate"}, 2, r, opts)
    local l = new_layer("Dropout", opts, set())
    l.rate = rate(r, "rate", "Dropout")
    function l:compute_output_shape(s) return s end
    function l:build() end
    function l:call(x, training)
        if not training or self.rate == 0 then return x end
        return B.dropout(x, self.rate)
    end
    function l:get_config() return {rate = self.rate} end
    return l
end, "keras.layers.Dropout(rate) -- Inverted dropout while training.")

M.Flatten = doc(function(opts)
    local l = new_layer("Flatten", opts, set())
    function l:compute_output_shape(s)
        local n = 1
        for _, d in ipairs(s) do n = n * d end
        return {n}
    end
    function l:build() end
    function l:call(x) return x:reshape({x:shape()[1], -1}) end
    function l:get_config() return {} end
    return l
end, "keras.layers.Flatten() -- Flatten all but the batch dimension.")

M.RepeatVector = doc(function(n, opts)
    n, opts = split("RepeatVector", {"n"}, 2, n, opts)
    local l = new_layer("RepeatVector", opts, set())
    l.n = positive_int(n, "n", "RepeatVector")
    function l:compute_output_shape(s) return {self.n, s[1]} end
    function l:build(s)
        if #s ~= 1 then
            raise(string.format("RepeatVector: input must be 2-d (batch, features), " ..
                                "got %s", B.shape_str(s)))
        end
    end
    function l:call(x) return B.repeat_time(x, self.n) end
    function l:get_config() return {n = self.n} end
    return l
end, "keras.layers.RepeatVector(n) -- (batch, d) -> (batch, n, d).")

-- Embedding ---------------------------------------------------------------------

M.Embedding = doc(function(input_dim, output_dim, opts)
    input_dim, output_dim, opts = split("Embedding", {"input_dim", "output_dim"}, 2,
                                        input_dim, output_dim, opts)
    opts = opts or {}
    local l = new_layer("Embedding", opts, set("input_dim", "output_dim",
        "input_length", "mask_zero", "weights", "embeddings_initializer"))
    l.input_dim = positive_int(input_dim, "input_dim", "Embedding")
    l.output_dim = positive_int(output_dim, "output_dim", "Embedding")
    l.input_length = opts.input_length
    if l.input_length ~= nil then
        positive_int(l.input_length, "input_length", "Embedding")
        l.declared_input = l.declared_input or {l.input_length}
    end
    l.mask_zero = opts.mask_zero == true
    if l.mask_zero then
        raise("Embedding: mask_zero=true is not supported (nn's recurrent " ..
              "layers take no mask); pad with 'pre' padding instead")
    end
    l.initial_weights = opts.weights
    l.embeddings_initializer = B.initializer(opts.embeddings_initializer or
                                             "random_uniform", "Embedding")
    function l:compute_output_shape(s)
        local out = {table.unpack(s)}
        out[#out + 1] = self.output_dim
        return out
    end
    function l:build()
        local shape = {self.input_dim, self.output_dim}
        local t
        if self.initial_weights then
            local w = self.initial_weights
            if type(w) == "table" and #w == 1 and type(w[1]) ~= "number" then
                w = w[1] -- Keras takes weights=[matrix]
            end
            t = B.copy(B.as_tensor(w, "Embedding weights"))
            local got = t:shape()
            if #got ~= 2 or got[1] ~= shape[1] or got[2] ~= shape[2] then
                raise(string.format("Embedding %s: weights have shape %s, " ..
                      "expected %s", self.name, B.dims_str(got),
                      B.dims_str(shape)))
            end
            self.initial_weights = nil
        else
            t = B.leaf(self.embeddings_initializer(shape), shape)
        end
        self.embeddings = self:_param("embeddings", t, shape, ident, ident)
    end
    function l:call(x)
        return B.embedding(self, x, self.embeddings.tensor)
    end
    function l:get_config()
        return {input_dim = self.input_dim, output_dim = self.output_dim,
                input_length = self.input_length, mask_zero = self.mask_zero}
    end
    return l
end, "keras.layers.Embedding(input_dim, output_dim, {input_length=, " ..
     "weights={matrix}, trainable=true}) -- Turn indices into dense vectors.")

-- Recurrent layers -------------------------------------------------------------

-- gates per cell; Keras and PyTorch order them alike (LSTM i f c o, GRU
-- z r h in Keras vs r z n in PyTorch: converted below).
local function recurrent(class_name, gates, cell)
    return function(units, opts)
        units, opts = split(class_name, {"units"}, 2, units, opts)
        opts = opts or {}
        local l = new_layer(class_name, opts, set("units", "activation",
            "recurrent_activation", "use_bias", "return_sequences",
            "return_state", "go_backwards", "dropout", "recurrent_dropout",
            "unit_forget_bias", "reset_after", "kernel_initializer",
            "recurrent_initializer", "bias_initializer", "stateful", "unroll"))
        l.units = positive_int(units, "units", class_name)
        l.activation = opts.activation or "tanh"
        if cell == "rnn" then
            if l.activation ~= "tanh" and l.activation ~= "relu" then
                raise(class_name .. ": activation must be 'tanh' or 'relu' " ..
                      "(the nn engine's cells), got '" .. tostring(l.activation) .. "'")
            end
        elseif l.activation ~= "tanh" then
            raise(class_name .. ": only activation='tanh' is supported, got '" ..
                  tostring(l.activation) .. "'")
        end
        if (opts.recurrent_activation or "sigmoid") ~= "sigmoid" then
            raise(class_name .. ": only recurrent_activation='sigmoid' is supported")
        end
        if opts.stateful then
            raise(class_name .. ": stateful=true is not supported")
        end
        if cell == "gru" and opts.reset_after == false then
            raise("GRU: reset_after=false is not supported (the engine's GRU " ..
                  "is PyTorch's, Keras' reset_after=true)")
        end
        l.use_bias = opts.use_bias ~= false
        l.return_sequences = opts.return_sequences == true
        l.return_state = opts.return_state == true
        l.go_backwards = opts.go_backwards == true
        l.dropout = rate(opts.dropout, "dropout", class_name)
        l.recurrent_dropout = rate(opts.recurrent_dropout, "recurrent_dropout",
                                   class_name)
        l.unit_forget_bias = opts.unit_forget_bias ~= false
        l.kernel_initializer = B.initializer(opts.kernel_initializer or
                                             "glorot_uniform", class_name)
        l.recurrent_initializer = B.initializer(opts.recurrent_initializer or
                                                "orthogonal", class_name)
        l.bias_initializer = B.initializer(opts.bias_initializer or "zeros",
                                           class_name)
        l.cell = cell
        l.gates = gates
        function l:compute_output_shape(s)
            if #s ~= 2 then
                raise(string.format("%s %s: input must be 3-d (batch, time, " ..
                      "features), got %s", class_name, self.name,
                      B.shape_str(s)))
            end
            if self.return_sequences then return {s[1], self.units} end
            return {self.units}
        end
        function l:build(s)
            self:compute_output_shape(s)
            local d, h, g = s[#s], self.units, self.gates
            -- PyTorch's GRU gate blocks are r z n, Keras' z r h.
            local order = cell == "gru" and {2, 1, 3} or nil
            local function reorder(flat, rows, cols)
                -- flat: rows x (g*h) Keras kernel -> (g*h) x rows torch
                local out = B.flat_transpose(flat, rows, cols)
                if not order then return out end
                local blocks = {}
                for k = 1, g do
                    blocks[k] = table.move(out, (k - 1) * h * rows + 1,
                                           k * h * rows, 1, {})
                end
                local res = {}
                for k = 1, g do table.move(blocks[order[k]], 1, h * rows, #res + 1, res) end
                return res
            end
            local function to_keras(rows)
                return function(t) return B.gates_to_keras(t, g, h, rows, order) end
            end
            local function from_keras(rows)
                return function(t) return B.gates_from_keras(t, g, h, rows, order) end
            end
            local kflat = self.kernel_initializer({d, g * h})
            self.kernel = self:_param("kernel",
                B.leaf(reorder(kflat, d, g * h), {g * h, d}), {d, g * h},
                to_keras(d), from_keras(d))
            local rflat = self.recurrent_initializer({h, g * h})
            self.recurrent_kernel = self:_param("recurrent_kernel",
                B.leaf(reorder(rflat, h, g * h), {g * h, h}), {h, g * h},
                to_keras(h), from_keras(h))
            if self.use_bias then
                if cell == "gru" then
                    -- reset_after: an input bias and a recurrent bias, Keras
                    -- shape (2, 3H).
                    local bflat = self.bias_initializer({2, g * h})
                    local bi = table.move(bflat, 1, g * h, 1, {})
                    local bh = table.move(bflat, g * h + 1, 2 * g * h, 1, {})
                    local function re(b)
                        local res = {}
                        for k = 1, g do
                            table.move(b, (order[k] - 1) * h + 1, order[k] * h,
                                       #res + 1, res)
                        end
                        return res
                    end
                    self.b_ih = B.leaf(re(bi), {g * h})
                    self.b_hh = B.leaf(re(bh), {g * h})
                    local layer = self
                    self.bias = self:_param("bias", self.b_ih, {2, g * h},
                        function() return B.gru_bias_to_keras(layer.b_ih, layer.b_hh, h) end,
                        nil)
                    self.bias.assign = function(w)
                        B.gru_bias_from_keras(w, layer.b_ih, layer.b_hh, h)
                    end
                    self.bias.extra = self.b_hh
                else
                    local bflat = self.bias_initializer({g * h})
                    if cell == "lstm" and self.unit_forget_bias then
                        for i = h + 1, 2 * h do bflat[i] = 1.0 end
                    end
                    self.bias = self:_param("bias", B.leaf(bflat, {g * h}),
                                            {g * h}, ident, ident)
                end
            end
        end
        function l:call(x, training)
            return B.recurrent(self, x, training)
        end
        function l:get_config()
            return {units = self.units, activation = self.activation,
                    use_bias = self.use_bias,
                    return_sequences = self.return_sequences,
                    return_state = self.return_state,
                    go_backwards = self.go_backwards, dropout = self.dropout,
                    recurrent_dropout = self.recurrent_dropout,
                    unit_forget_bias = self.unit_forget_bias}
        end
        return l
    end
end

M.LSTM = doc(recurrent("LSTM", 4, "lstm"),
    "keras.layers.LSTM(units, {return_sequences=, return_state=, " ..
    "go_backwards=, dropout=, recurrent_dropout=}) -- Long short-term memory " ..
    "(glorot_uniform kernel, orthogonal recurrent kernel, unit forget bias).")
M.GRU = doc(recurrent("GRU", 3, "gru"),
    "keras.layers.GRU(units, {...}) -- Gated recurrent unit (reset_after=true).")
M.SimpleRNN = doc(recurrent("SimpleRNN", 1, "rnn"),
    "keras.layers.SimpleRNN(units, {activation='tanh', ...}) -- A fully " ..
    "connected recurrent layer.")

-- Bidirectional ----------------------------------------------------------------

M.Bidirectional = doc(function(layer, opts)
    layer, opts = split("Bidirectional", {"layer"}, 2, layer, opts)
    if type(layer) ~= "table" or not layer.cell then
        raise("Bidirectional: a recurrent layer (LSTM, GRU, SimpleRNN) expected")
    end
    opts = opts or {}
    local l = new_layer("Bidirectional", opts, set("merge_mode", "backward_layer"))
    l.merge_mode = opts.merge_mode or "concat"
    if not ({concat = true, sum = true, mul = true, ave = true})[l.merge_mode] then
        raise("Bidirectional: merge_mode must be 'concat', 'sum', 'mul' or 'ave', got '" ..
              tostring(l.merge_mode) .. "'")
    end
    if layer.return_state then
        raise("Bidirectional: return_state=true is not supported")
    end
    l.forward = layer
    local cfg = layer.opts
    local bopts = {}
    for k, v in pairs(cfg) do bopts[k] = v end
    bopts.go_backwards = not layer.go_backwards
    bopts.name = "backward_" .. layer.name
    l.backward = opts.backward_layer or
        (layer.class_name == "LSTM" and M.LSTM or layer.class_name == "GRU" and M.GRU
         or M.SimpleRNN)(layer.units, bopts)
    layer.name = "forward_" .. layer.name
    l.sublayers = {l.forward, l.backward}
    function l:compute_output_shape(s)
        local o = self.forward:compute_output_shape(s)
        local out = {table.unpack(o)}
        if self.merge_mode == "concat" then out[#out] = out[#out] * 2 end
        return out
    end
    function l:build(s)
        self.forward:build(s)
        self.forward.built = true
        self.backward:build(s)
        self.backward.built = true
        for _, sub in ipairs(self.sublayers) do
            for _, p in ipairs(sub.params) do self.params[#self.params + 1] = p end
        end
    end
    function l:call(x, training)
        local f = self.forward:call(x, training)
        local b = self.backward:call(x, training)
        if self.forward.return_sequences then b = B.flip_time(b) end
        return B.merge(f, b, self.merge_mode)
    end
    function l:get_config()
        return {merge_mode = self.merge_mode,
                layer = {class_name = self.forward.class_name,
                         config = self.forward:get_config()}}
    end
    return l
end, "keras.layers.Bidirectional(layer, {merge_mode='concat'}) -- Run a " ..
     "recurrent layer both ways and merge the outputs.")

-- Convolution and pooling --------------------------------------------------------

M.Conv1D = doc(function(filters, kernel_size, opts)
    filters, kernel_size, opts = split("Conv1D", {"filters", "kernel_size"}, 2,
                                       filters, kernel_size, opts)
    opts = opts or {}
    local l = new_layer("Conv1D", opts, set("filters", "kernel_size", "strides",
        "padding", "activation", "use_bias", "dilation_rate",
        "kernel_initializer", "bias_initializer"))
    l.filters = positive_int(filters, "filters", "Conv1D")
    l.kernel_size = positive_int(type(kernel_size) == "table" and kernel_size[1]
                                 or kernel_size, "kernel_size", "Conv1D")
    l.strides = positive_int(opts.strides or 1, "strides", "Conv1D")
    l.dilation_rate = positive_int(opts.dilation_rate or 1, "dilation_rate", "Conv1D")
    l.padding = opts.padding or "valid"
    if l.padding ~= "valid" and l.padding ~= "same" then
        raise("Conv1D: padding must be 'valid' or 'same', got '" ..
              tostring(l.padding) .. "'")
    end
    if l.padding == "same" and (l.kernel_size * l.dilation_rate) % 2 == 0
        and l.kernel_size > 1 then
        raise("Conv1D: padding='same' needs an odd kernel_size here")
    end
    l.activation = activation(opts.activation, "Conv1D")
    l.use_bias = opts.use_bias ~= false
    l.kernel_initializer = B.initializer(opts.kernel_initializer or
                                         "glorot_uniform", "Conv1D")
    l.bias_initializer = B.initializer(opts.bias_initializer or "zeros", "Conv1D")
    function l:_pad()
        if self.padding == "same" then
            return (self.kernel_size - 1) * self.dilation_rate // 2
        end
        return 0
    end
    function l:compute_output_shape(s)
        local len = s[1]
        local eff = (self.kernel_size - 1) * self.dilation_rate + 1
        local out = (len + 2 * self:_pad() - eff) // self.strides + 1
        if self.padding == "same" then out = (len + self.strides - 1) // self.strides end
        return {out, self.filters}
    end
    function l:build(s)
        local c, k, o = s[#s], self.kernel_size, self.filters
        -- Keras kernel (k, c, o); torch weight (o, c, k)
        local flat = self.kernel_initializer({k, c, o})
        local torch_flat = {}
        for kk = 1, k do
            for cc = 1, c do
                for oo = 1, o do
                    torch_flat[((oo - 1) * c + (cc - 1)) * k + kk] =
                        flat[((kk - 1) * c + (cc - 1)) * o + oo]
                end
            end
        end
        self.kernel = self:_param("kernel", B.leaf(torch_flat, {o, c, k}),
            {k, c, o}, function(t) return B.conv_to_keras(t) end,
            function(t) return B.conv_from_keras(t) end)
        if self.use_bias then
            self.bias = self:_param("bias",
                B.leaf(self.bias_initializer({o}), {o}), {o}, ident, ident)
        end
    end
    function l:call(x)
        local y = B.conv1d(self, x, self.kernel.tensor,
                           self.bias and self.bias.tensor)
        return activations[self.activation](y)
    end
    function l:get_config()
        return {filters = self.filters, kernel_size = self.kernel_size,
                strides = self.strides, padding = self.padding,
                activation = self.activation, use_bias = self.use_bias,
                dilation_rate = self.dilation_rate}
    end
    return l
end, "keras.layers.Conv1D(filters, kernel_size, {strides=1, padding='valid', " ..
     "activation=}) -- 1-d convolution over (batch, steps, channels).")

local function pooling(class_name, is_max)
    return function(pool_size, opts)
        pool_size, opts = split(class_name, {"pool_size"}, 2, pool_size, opts)
        opts = opts or {}
        local l = new_layer(class_name, opts, set("pool_size", "strides", "padding"))
        l.pool_size = positive_int(pool_size or 2, "pool_size", class_name)
        l.strides = positive_int(opts.strides or l.pool_size, "strides", class_name)
        if (opts.padding or "valid") ~= "valid" then
            raise(class_name .. ": only padding='valid' is supported")
        end
        function l:compute_output_shape(s)
            return {(s[1] - self.pool_size) // self.strides + 1, s[2]}
        end
        function l:build(s)
            if #s ~= 2 then
                raise(string.format("%s: input must be 3-d (batch, steps, " ..
                      "channels), got %s", class_name, B.shape_str(s)))
            end
        end
        function l:call(x)
            return B.pool1d(self, x, is_max, self.pool_size, self.strides)
        end
        function l:get_config()
            return {pool_size = self.pool_size, strides = self.strides,
                    padding = "valid"}
        end
        return l
    end
end

M.MaxPooling1D = doc(pooling("MaxPooling1D", true),
    "keras.layers.MaxPooling1D(pool_size=2, {strides=}) -- Max over windows.")
M.AveragePooling1D = doc(pooling("AveragePooling1D", false),
    "keras.layers.AveragePooling1D(pool_size=2, {strides=}) -- Mean over windows.")

local function global_pool(class_name, is_max)
    return function(opts)
        local l = new_layer(class_name, opts, set())
        function l:compute_output_shape(s) return {s[#s]} end
        function l:build(s)
            if #s ~= 2 then
                raise(string.format("%s: input must be 3-d (batch, steps, " ..
                      "channels), got %s", class_name, B.shape_str(s)))
            end
        end
        function l:call(x) return B.global_pool(x, is_max) end
        function l:get_config() return {} end
        return l
    end
end

M.GlobalMaxPooling1D = doc(global_pool("GlobalMaxPooling1D", true),
    "keras.layers.GlobalMaxPooling1D() -- Max over the steps.")
M.GlobalAveragePooling1D = doc(global_pool("GlobalAveragePooling1D", false),
    "keras.layers.GlobalAveragePooling1D() -- Mean over the steps.")

-- TimeDistributed ------------------------------------------------------------------

M.TimeDistributed = doc(function(layer, opts)
    layer, opts = split("TimeDistributed", {"layer"}, 2, layer, opts)
    if type(layer) ~= "table" or getmetatable(layer) ~= Layer then
        raise("TimeDistributed: a layer expected")
    end
    local l = new_layer("TimeDistributed", opts, set())
    l.inner = layer
    l.sublayers = {layer}
    function l:compute_output_shape(s)
        local rest = {table.unpack(s, 2)}
        local o = self.inner:compute_output_shape(rest)
        return {s[1], table.unpack(o)}
    end
    function l:build(s)
        self.inner:build({table.unpack(s, 2)})
        self.inner.built = true
        for _, p in ipairs(self.inner.params) do self.params[#self.params + 1] = p end
    end
    function l:call(x, training)
        local shp = x:shape()
        local flat = x:reshape({shp[1] * shp[2], table.unpack(shp, 3)})
        local y = self.inner:call(flat, training)
        local ys = y:shape()
        return y:reshape({shp[1], shp[2], table.unpack(ys, 2)})
    end
    function l:get_config()
        return {layer = {class_name = self.inner.class_name,
                         config = self.inner:get_config()}}
    end
    return l
end, "keras.layers.TimeDistributed(layer) -- Apply a layer to every step.")

-- Rebuild a layer from a saved config {class_name=, config=, name=}.
function M.from_config(spec)
    local c = spec.config or {}
    local cls = spec.class_name
    local opts = {}
    for k, v in pairs(c) do
        if v ~= require("lualab.json").null then opts[k] = v end
    end
    opts.name = spec.name
    opts.trainable = spec.trainable
    if cls == "Dense" then return M.Dense(opts.units, opts)
    elseif cls == "Activation" then return M.Activation(opts.activation, {name = opts.name})
    elseif cls == "Dropout" then return M.Dropout(opts.rate, {name = opts.name})
    elseif cls == "Flatten" then return M.Flatten({name = opts.name})
    elseif cls == "RepeatVector" then return M.RepeatVector(opts.n, {name = opts.name})
    elseif cls == "Embedding" then
        opts.mask_zero = nil
        return M.Embedding(opts.input_dim, opts.output_dim, opts)
    elseif cls == "LSTM" or cls == "GRU" or cls == "SimpleRNN" then
        return M[cls](opts.units, opts)
    elseif cls == "Bidirectional" then
        local inner = M.from_config({class_name = c.layer.class_name,
                                     config = c.layer.config})
        return M.Bidirectional(inner, {merge_mode = c.merge_mode, name = opts.name})
    elseif cls == "Conv1D" then return M.Conv1D(opts.filters, opts.kernel_size, opts)
    elseif cls == "MaxPooling1D" or cls == "AveragePooling1D" then
        return M[cls](opts.pool_size, {strides = opts.strides, name = opts.name})
    elseif cls == "GlobalMaxPooling1D" or cls == "GlobalAveragePooling1D" then
        return M[cls]({name = opts.name})
    elseif cls == "TimeDistributed" then
        local inner = M.from_config({class_name = c.layer.class_name,
                                     config = c.layer.config})
        return M.TimeDistributed(inner, {name = opts.name})
    end
    raise(string.format("load_model: unknown layer class '%s'", tostring(cls)))
end

doc(M.from_config, "keras.layers.from_config{class_name=, config=} -> Layer -- Rebuild a layer " ..
    "from its saved config (layer:get_config()).")

-- Doc strings of every layer's methods (help(layer.get_weights)).
doc(Layer.count_params, "layer:count_params() -> n -- The number of the layer's weights.")
doc(Layer.trainable_tensors, "layer:trainable_tensors(out) -> out -- Append the layer's " ..
    "trainable weight Tensors to the list out.")
doc(Layer.get_weights, "layer:get_weights() -> {Tensor...} -- The layer's weights in Keras' order and shapes.")
doc(Layer.set_weights, "layer:set_weights({Tensor...}) -- Replace the layer's weights (get_weights' order and shapes).")

return M
