-- lualab.nn.io: nn.save / nn.load (state dicts as safetensors) and model
-- directories: Sequential:save(dir), nn.load_model(dir).
-- Part of lualab.nn (nn.lua), which calls the function returned here.
local raise = require("lualab._args").raise
return function(nn, shared)
local C, Tensor, Module, is_module, is_tensor, shape_str, new_state_dict, sd_keys, doc = shared.C, shared.Tensor, shared.Module, shared.is_module, shared.is_tensor, shared.shape_str, shared.new_state_dict, shared.sd_keys, shared.doc
local Conv1d, Dropout, Embedding, LastStep, LayerNorm, Linear, Sequential = nn.Conv1d, nn.Dropout, nn.Embedding, nn.LastStep, nn.LayerNorm, nn.Linear, nn.Sequential

-- ---- save / load -----------------------------------------------------------

function nn.save(sd, path)
    if is_module(sd) then
        sd = sd:state_dict()
    end
    if type(sd) ~= "table" then
        raise("save: bad argument #1 (state dict expected, got " .. type(sd) .. ")")
    end
    if type(path) ~= "string" then
        raise("save: bad argument #2 (path expected, got " .. type(path) .. ")")
    end
    local names, ts = {}, {}
    local keys = sd_keys(sd)
    for _, k in ipairs(keys) do
        if not is_tensor(sd[k]) then
            raise("save: key '" .. k .. "' is a " .. type(sd[k]) .. ", not a Tensor")
        end
        names[#names + 1] = k
        ts[#ts + 1] = sd[k]
    end
    local ok, err = C.save_tensors(path, names, ts)
    if not ok then
        raise("save: " .. err)
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
    raise("save: " .. what .. "; only an nn.Sequential of built-in layers can be saved as a model " ..
        "(config.json + weights.safetensors); save the weights with nn.save(model:state_dict(), path)")
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
        raise("save: bad argument #1 (directory path expected, got " .. type(dir) .. ")")
    end
    opts = opts or {}
    local json, fs = require("lualab.json"), require("lualab._fs")
    local cfg
    do
        -- input_shape= holds only for this save, even if it is interrupted
        local saved = self.input_shape
        local restore <close> = setmetatable({}, { __close = function() self.input_shape = saved end })
        if opts.input_shape then
            self.input_shape = opts.input_shape
        end
        local ok
        ok, cfg = pcall(self.get_config, self)
        if not ok then
            raise(cfg)
        end
    end
    local mok, merr = fs.mkdir_p(dir)
    if not mok then
        raise("save: " .. merr)
    end
    -- Weights first: config.json appearing marks a complete model.
    local names, ts = {}, {}
    for _, kv in ipairs(self:named_parameters()) do
        names[#names + 1] = kv[1]
        ts[#ts + 1] = kv[2]
    end
    local wok, err = C.save_tensors(dir .. "/weights.safetensors", names, ts)
    if not wok then
        raise("save: " .. err)
    end
    local cok, cerr = fs.write_file(dir .. "/config.json", json.encode(cfg, 2) .. "\n")
    if not cok then
        raise("save: " .. cerr)
    end
    return dir
end
doc(Sequential.save, "Sequential:save(dir [, {input_shape=}]) -> dir -- Write dir/config.json (the layers and " ..
    "their options) and dir/weights.safetensors (the state dict); nn.load_model(dir) rebuilds it.")

-- The size keys of nn layer configs (see _args.check_sizes).
local NN_SIZE_KEYS = {"in_features", "out_features", "num_embeddings", "embedding_dim",
    "input_size", "hidden_size", "num_layers", "in_channels", "out_channels", "kernel_size",
    "stride", "padding", "dilation", "normalized_shape", "dim", "start_dim"}

function nn.load_model(dir)
    if type(dir) ~= "string" then
        raise("load_model: bad argument #1 (directory path expected, got " .. type(dir) .. ")")
    end
    local json, fs = require("lualab.json"), require("lualab._fs")
    local cfile, wfile = dir .. "/config.json", dir .. "/weights.safetensors"
    local text, msg = fs.read_file(cfile)
    if not text then
        raise("load_model: " .. msg)
    end
    local cfg, jerr = json.decode(text, cfile)
    if jerr then
        raise("load_model: " .. jerr)
    end
    if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" or type(cfg.layers) ~= "table" then
        raise("load_model: " .. cfile .. ": not an nn.Sequential config (class_name and layers)")
    end
    local mods = {}
    for i, spec in ipairs(cfg.layers) do
        local kind = type(spec) == "table" and spec.type
        local h = model_layers[kind]
        if not h then
            raise(string.format("load_model: %s: layer %d ('%s'): unknown layer type '%s'", cfile, i,
                tostring(type(spec) == "table" and spec.name), tostring(kind)))
        end
        require("lualab._args").check_sizes(cfile, tostring(spec.name), spec.config, NN_SIZE_KEYS)
        local c = {}
        for k, v in pairs(type(spec.config) == "table" and spec.config or {}) do
            if v ~= json.null then c[k] = v end
        end
        local bok, m = pcall(h.build, c)
        if not bok then
            raise(string.format("load_model: %s: layer %d ('%s'): %s", cfile, i, tostring(spec.name), m))
        end
        mods[i] = m
    end
    local model = nn.Sequential(mods)
    if type(cfg.input_shape) == "table" then
        rawset(model, "input_shape", cfg.input_shape)
    end
    local map, names = C.load_tensors(wfile)
    if not map then
        raise("load_model: " .. names)
    end
    local own = {}
    for _, kv in ipairs(model:named_parameters()) do
        local t = map[kv[1]]
        if t == nil then
            raise("load_model: " .. wfile .. " lacks the weight '" .. kv[1] .. "'")
        end
        if shape_str(t) ~= shape_str(kv[2]) then
            raise(string.format("load_model: %s: weight '%s' has shape %s, expected %s", wfile, kv[1], shape_str(t),
                shape_str(kv[2])))
        end
        own[kv[1]] = true
    end
    for _, n in ipairs(names) do
        if not own[n] then
            raise("load_model: " .. wfile .. ": unexpected weight '" .. n .. "'")
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
end
