-- keras.backend: the few things the Keras front end needs from nn, in one
-- place, and Keras' initializers.
local raise = require("lualab._args").raise
local B = {}

local nn_cache
function B.nn()
    if nn_cache then return nn_cache end
    for _, name in ipairs({"lualab._nn", "lualab.nn"}) do
        local ok, nn = pcall(require, name)
        if ok and type(nn) == "table" and nn.linear and nn.rnn_layer then
            nn_cache = nn
            return nn
        end
    end
    raise("keras: this build has no neural-net engine (module nn)")
end

function B.available()
    return pcall(B.nn)
end

-- Monotonic seconds (nn.clock), whole seconds without it.
function B.clock()
    local nn = B.nn()
    if nn.clock then return nn.clock() end
    return os.time()
end

-- Shapes ------------------------------------------------------------------

function B.shape(t)
    return t:shape()
end

-- "(None, 15, 100)"
function B.shape_str(shape)
    local parts = {"None"}
    for _, d in ipairs(shape) do parts[#parts + 1] = tostring(d) end
    if #parts == 2 then return "(" .. parts[1] .. ", " .. parts[2] .. ")" end
    return "(" .. table.concat(parts, ", ") .. ")"
end

-- Any x (tensor or nested tables) as a tensor.
-- x as a Tensor: Tensors as they are, Frames (numeric columns, in order)
-- and Columns through the frame's to_tensor, tables of numbers through
-- nn.tensor.  The error blames the caller of fit/predict/evaluate.
local A = require("lualab._args")
function B.as_tensor(x, what)
    local nn = B.nn()
    x = A.as_tensor(x)
    if A.typename(x) == "Tensor" then return x end
    if type(x) == "table" and getmetatable(x) == nil then
        local ok, t = pcall(nn.tensor, x)
        if ok then return t end
        -- "tensor: element 2 is a string, not a number", without a place
        local msg = tostring(t):gsub("^[^\n:]*:%d+: ", ""):gsub("^tensor: ", "")
        raise(string.format("%s: %s", what or "x", msg))
    end
    raise(string.format("%s must be a Tensor, Frame, Column or table of numbers, got %s",
                        what or "x", A.typename(x)))
end

-- Random numbers ------------------------------------------------------------

-- Lua-side draws (initializers, shuffling) come from nn's generator, so
-- nn.manual_seed / keras.utils.set_random_seed make a run repeatable.
function B.uniform(n, lo, hi)
    local nn = B.nn()
    local t = nn.rand({n}):tolist()
    for i = 1, n do t[i] = lo + (hi - lo) * t[i] end
    return t
end

function B.normal(n)
    return B.nn().randn({n}):tolist()
end

-- A random permutation of 0..n-1 (Fisher-Yates on nn's uniform draws).
function B.permutation(n)
    local u = n > 1 and B.nn().rand({n}):tolist() or {0}
    local p = {}
    for i = 1, n do p[i] = i - 1 end
    for i = n, 2, -1 do
        local j = math.floor(u[i] * i) + 1
        if j > i then j = i end
        p[i], p[j] = p[j], p[i]
    end
    return p
end

-- Initializers (Keras defaults), as flat row-major tables in Keras layout --

local function fans(shape)
    if #shape == 2 then return shape[1], shape[2] end
    if #shape == 1 then return shape[1], shape[1] end
    -- conv kernels (k, in, out): receptive field times channels
    local rf = 1
    for i = 1, #shape - 2 do rf = rf * shape[i] end
    return shape[#shape - 1] * rf, shape[#shape] * rf
end

-- The element count of a weight shape.  A count no tensor can hold (a
-- crafted config.json with a Dense of 2^62 units) is refused here, before
-- a loop over it could wrap or run for ever.
local NUMEL_MAX = 1 << 61
local function numel(shape)
    local n = 1
    for _, d in ipairs(shape) do
        if d > 0 and n > NUMEL_MAX // d then
            local s = {}
            for i, v in ipairs(shape) do s[i] = string.format("%d", v) end
            raise("weight shape {" .. table.concat(s, ", ") ..
                  "} has too many elements")
        end
        n = n * d
    end
    return n
end

B.init = {}

function B.init.glorot_uniform(shape)
    local fan_in, fan_out = fans(shape)
    local limit = math.sqrt(6 / (fan_in + fan_out))
    return B.uniform(numel(shape), -limit, limit)
end

-- Through a tensor, so that a size memory cannot hold fails at once.
function B.init.zeros(shape)
    return B.nn().zeros({numel(shape)}):tolist()
end

function B.init.ones(shape)
    return B.nn().ones({numel(shape)}):tolist()
end

-- Keras' embeddings default: uniform(-0.05, 0.05).
function B.init.random_uniform(shape)
    return B.uniform(numel(shape), -0.05, 0.05)
end

-- Keras' Orthogonal (gain 1): QR of a normal matrix, signs fixed by
-- diag(R); for rows < cols the transpose is orthogonalised.  Gram-Schmidt
-- (modified, twice) gives Q's columns.
function B.init.orthogonal(shape)
    local rows, cols = shape[1], numel(shape) // shape[1]
    local tall_r, tall_c = rows, cols
    if rows < cols then tall_r, tall_c = cols, rows end
    local a = B.normal(tall_r * tall_c)
    -- column j of the tall matrix: a[(i-1)*tall_c + j]
    local q = {}
    for j = 1, tall_c do
        local v = {}
        for i = 1, tall_r do v[i] = a[(i - 1) * tall_c + j] end
        for _ = 1, 2 do
            for k = 1, j - 1 do
                local qk, dot = q[k], 0
                for i = 1, tall_r do dot = dot + qk[i] * v[i] end
                for i = 1, tall_r do v[i] = v[i] - dot * qk[i] end
            end
        end
        local norm = 0
        for i = 1, tall_r do norm = norm + v[i] * v[i] end
        norm = math.sqrt(norm)
        -- R's diagonal is the norm (positive): Keras' sign fix is a no-op.
        for i = 1, tall_r do v[i] = v[i] / norm end
        q[j] = v
    end
    local out = {}
    if rows >= cols then
        for i = 1, rows do
            for j = 1, cols do out[(i - 1) * cols + j] = q[j][i] end
        end
    else
        -- transpose: rows x cols with orthonormal rows
        for i = 1, rows do
            for j = 1, cols do out[(i - 1) * cols + j] = q[i][j] end
        end
    end
    return out
end

function B.initializer(name, where)
    if type(name) == "function" then return name end
    local f = B.init[name]
    if not f then
        raise(string.format("%s: unknown initializer '%s'", where, tostring(name)))
    end
    return f
end

-- Flat tables <-> tensors ----------------------------------------------------


-- The transpose of a flat rows x cols table (cols x rows).
function B.flat_transpose(flat, rows, cols)
    local out = {}
    for i = 1, rows do
        for j = 1, cols do out[(j - 1) * rows + i] = flat[(i - 1) * cols + j] end
    end
    return out
end

-- A tensor's values as a flat row-major table.
function B.flat(t)
    return t:reshape({-1}):tolist()
end


-- Tensors -------------------------------------------------------------------

function B.dims_str(shape)
    local parts = {}
    for i, d in ipairs(shape) do parts[i] = tostring(d) end
    if #parts == 1 then return "(" .. parts[1] .. ",)" end
    return "(" .. table.concat(parts, ", ") .. ")"
end

-- A fresh contiguous leaf of `shape` holding a flat row-major table.
function B.leaf(flat, shape)
    local nn = B.nn()
    local t = nn.zeros(shape)
    if #flat > 0 then t:copy_(nn.tensor(flat):reshape(shape)) end
    return t
end

-- A fresh contiguous leaf holding t's values.
function B.copy(t)
    local c = B.nn().zeros(t:shape())
    c:copy_(t)
    return c
end

function B.assign(dst, src)
    B.no_grad(function() dst:copy_(src) end)
end

function B.transpose2(t)
    return B.copy(t:t())
end

-- Grad mode is restored by a <close> guard, so an interrupt (which closes
-- the cell's coroutine) cannot leave autograd off.
local GradGuard = { __close = function(g) g.nn.set_grad_enabled(g.prev) end }
function B.no_grad(fn)
    local nn = B.nn()
    local guard <close> = setmetatable({ nn = nn, prev = nn.set_grad_enabled(false) }, GradGuard)
    fn()
end

local function last_dim(t)
    return #t:shape() - 1
end

function B.softmax(x) return x:softmax(last_dim(x)) end
function B.elu(x) return x:elu() end
function B.dropout(x, p) return B.nn().dropout(x, p, true) end

local function layer_label(layer)
    return string.format("%s %s", layer.class_name, layer.name)
end

function B.linear(layer, x, w, b)
    return B.nn().linear(x, w, b, layer_label(layer))
end

function B.embedding(layer, x, w)
    return B.nn().embedding(x, w, -1, layer_label(layer))
end

-- (B, T, H) -> the same with the time axis reversed.
function B.flip_time(t)
    local n = t:shape()[2]
    local idx = {}
    for i = 1, n do idx[i] = n - i end
    return t:index_select(1, B.nn().tensor(idx))
end

local cell_names = {lstm = "lstm", gru = "gru"}

-- Keras recurrent layer over (B, T, D): input dropout with one mask per
-- sample for all steps, recurrent dropout on h (nn's rec_mask).
function B.recurrent(layer, x, training)
    local nn = B.nn()
    local shp = x:shape()
    if #shp ~= 3 then
        raise(string.format("%s: input must be 3-d (batch, time, features), " ..
                            "got %s", layer_label(layer), B.dims_str(shp)))
    end
    local bsz, d = shp[1], shp[3]
    if training and layer.dropout > 0 then
        x = x * nn.dropout_mask({bsz, 1, d}, layer.dropout)
    end
    local mask
    if training and layer.recurrent_dropout > 0 then
        mask = nn.dropout_mask({bsz, layer.units}, layer.recurrent_dropout)
    end
    local xt = x:transpose(0, 1):contiguous()
    local cell = cell_names[layer.cell] or layer.activation
    local b_ih, b_hh
    if layer.use_bias then
        if layer.cell == "gru" then
            b_ih, b_hh = layer.b_ih, layer.b_hh
        else
            b_ih = layer.bias.tensor
        end
    end
    local out, h, c = nn.rnn_layer(cell, xt, nil, nil, layer.kernel.tensor,
                                   layer.recurrent_kernel.tensor, b_ih, b_hh,
                                   layer.go_backwards, mask, layer_label(layer))
    local y = h
    if layer.return_sequences then
        y = out:transpose(0, 1):contiguous()
        -- Keras' go_backwards outputs come in processing order.
        if layer.go_backwards then y = B.flip_time(y) end
    end
    if layer.return_state then
        if c then return y, h, c end
        return y, h
    end
    return y
end

function B.merge(f, b, mode)
    if mode == "concat" then return B.nn().cat({f, b}, last_dim(f)) end
    if mode == "sum" then return f + b end
    if mode == "mul" then return f * b end
    return (f + b) * 0.5
end

function B.repeat_time(x, n)
    local s = x:shape()
    return x:unsqueeze(1):expand({s[1], n, s[2]}):contiguous()
end

function B.conv1d(layer, x, w, b)
    local xc = x:transpose(1, 2):contiguous()
    local y = B.nn().conv1d(xc, w, b, layer.strides, layer:_pad(),
                            layer.dilation_rate, layer_label(layer))
    return y:transpose(1, 2):contiguous()
end

function B.pool1d(layer, x, is_max, k, stride)
    local xc = x:transpose(1, 2):contiguous()
    local y = B.nn().pool1d(xc, is_max, k, stride, 0, layer_label(layer))
    return y:transpose(1, 2):contiguous()
end

function B.global_pool(x, is_max)
    if is_max then return (x:max(1)) end
    return x:mean(1)
end

-- Keras layouts <-> torch layouts ------------------------------------------------

local function reorder_blocks(t, g, order)
    if not order then return t end
    local chunks = t:chunk(g, 0)
    local parts = {}
    for k = 1, g do parts[k] = chunks[order[k]] end
    return B.nn().cat(parts, 0)
end

-- torch (g*h, rows) -> Keras (rows, g*h)
function B.gates_to_keras(t, g, h, rows, order)
    return B.copy(reorder_blocks(t, g, order):t())
end

-- Keras (rows, g*h) -> torch (g*h, rows)
function B.gates_from_keras(w, g, h, rows, order)
    return B.copy(reorder_blocks(B.copy(w:t()), g, order))
end

function B.gru_bias_to_keras(b_ih, b_hh, h)
    local order = {2, 1, 3}
    return B.copy(B.nn().stack({reorder_blocks(b_ih, 3, order),
                                reorder_blocks(b_hh, 3, order)}, 0))
end

function B.gru_bias_from_keras(w, b_ih, b_hh, h)
    local order = {2, 1, 3}
    B.assign(b_ih, reorder_blocks(w:select(0, 0), 3, order))
    B.assign(b_hh, reorder_blocks(w:select(0, 1), 3, order))
end

function B.conv_to_keras(t) return B.copy(t:permute(2, 1, 0)) end
function B.conv_from_keras(w) return B.copy(w:permute(2, 1, 0)) end

-- Losses and metrics --------------------------------------------------------------

function B.bce(p, y, eps)
    return B.nn().loss("bce", p:clamp(eps, 1 - eps), y)
end

function B.cce(p, y, eps)
    local d = last_dim(p)
    p = p / p:sum(d, true)
    p = p:clamp(eps, 1 - eps)
    return -((y * p:log()):sum(d)):mean()
end

function B.sparse_cce(p, y, eps)
    local d = last_dim(p)
    p = p / p:sum(d, true)
    return B.nn().loss("nll", p:clamp(eps, 1 - eps):log(), y:reshape({-1}))
end

function B.mse(p, y) return B.nn().loss("mse", p, y) end
function B.mae(p, y) return B.nn().loss("l1", p, y) end
function B.huber(p, y) return B.nn().loss("huber", p, y, "mean", 1.0) end

function B.metric_sum(fn, p, y)
    if fn == "binary_accuracy" then
        return p:gt(0.5):eq(y):sum():item()
    elseif fn == "categorical_accuracy" then
        local d = last_dim(p)
        return p:argmax(d):eq(y:argmax(d)):sum():item()
    elseif fn == "sparse_categorical_accuracy" then
        return p:argmax(last_dim(p)):eq(y:reshape({-1})):sum():item()
    elseif fn == "mse" then
        local e = p - y
        return (e * e):mean(last_dim(p)):sum():item()
    elseif fn == "mae" then
        return (p - y):abs():mean(last_dim(p)):sum():item()
    end
    error("unknown metric " .. tostring(fn))
end

-- Batches ---------------------------------------------------------------------------

function B.rows(x, start, len) return x:narrow(0, start, len) end

function B.take(x, idx)
    return x:index_select(0, B.nn().tensor(idx))
end

function B.cat_rows(parts)
    if #parts == 1 then return parts[1] end
    return B.nn().cat(parts, 0)
end

-- Optimizers ----------------------------------------------------------------------------

function B.make_optimizer(o, ts)
    local nn = B.nn()
    if #ts == 0 then return nil end
    if o.kind == "Adam" then
        if o.amsgrad then raise("keras.optimizers.Adam: amsgrad is not supported") end
        return nn.optimizer("adam", ts, {lr = o.learning_rate,
            betas = {o.beta_1, o.beta_2}, eps = o.epsilon})
    elseif o.kind == "SGD" then
        return nn.optimizer("sgd", ts, {lr = o.learning_rate,
            momentum = o.momentum, nesterov = o.nesterov})
    elseif o.kind == "RMSprop" then
        return nn.optimizer("rmsprop", ts, {lr = o.learning_rate, alpha = o.rho,
            eps = o.epsilon, momentum = o.momentum})
    elseif o.kind == "Adagrad" then
        return nn.optimizer("adagrad", ts, {lr = o.learning_rate, eps = o.epsilon,
            initial_accumulator_value = o.initial_accumulator_value})
    end
    raise("unknown optimizer " .. tostring(o.kind))
end

function B.set_requires_grad(t, on) t:requires_grad_(on) end

function B.optim_get_lr(o) return o:lr() end
function B.optim_set_lr(o, lr) o:lr(lr) end
function B.zero_grad(o) if o then o:zero_grad() end end
function B.step(o) if o then o:step() end end
function B.backward(loss) loss:backward() end

-- Files -------------------------------------------------------------------------------------

function B.save(named, path)
    local names = {}
    for k in pairs(named) do names[#names + 1] = k end
    table.sort(names)
    local ts = {}
    for i, k in ipairs(names) do ts[i] = named[k] end
    local ok, msg = B.nn().save_tensors(path, names, ts)
    if not ok then raise("save: " .. tostring(msg)) end
end

function B.load(path)
    local sd, msg = B.nn().load_tensors(path)
    if not sd then raise("load: " .. tostring(msg)) end
    return sd
end

return B
