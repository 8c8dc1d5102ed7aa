-- keras: the text tools against Keras' algorithm (fixtures from
-- tests/fixtures/keras/make_keras_text.py), the lab's tokenizer numbers.
local cases = dofile(FIXTURES .. "/keras/text_cases.lua")
local K = keras
local Tokenizer = K.preprocessing.text.Tokenizer
local pad = K.preprocessing.sequence.pad_sequences

-- A matrix result as nested tables (a tensor or tables).
local function rows(m)
    if type(m) == "userdata" then return m:tolist() end
    return m
end

describe("keras text tools", function()
    it("Tokenizer matches Keras for every option set", function()
        for _, c in ipairs(cases.tokenizer) do
            local tok = Tokenizer(c.opts)
            tok:fit_on_texts(cases.texts)
            assert.same(c.word_index, tok.word_index)
            assert.same(c.word_counts, tok.word_counts)
            assert.same(c.word_docs, tok.word_docs)
            assert.equals(c.document_count, tok.document_count)
            local probe = {}
            for i, t in ipairs(cases.texts) do probe[i] = t end
            probe[#probe + 1] = "an unseen cat and dog"
            probe[#probe + 1] = {"The", "CAT", "zebra"}
            local seqs = tok:texts_to_sequences(probe)
            assert.same(c.sequences, seqs)
            for _, mode in ipairs({"binary", "count", "freq", "tfidf"}) do
                local got = rows(tok:texts_to_matrix(probe, mode))
                assert.equals(#c.matrix[mode], #got)
                for i, row in ipairs(c.matrix[mode]) do
                    assert.equals(#row, #got[i])
                    for j, v in ipairs(row) do
                        assert(math.abs(v - got[i][j]) < 1e-6,
                               mode .. " row " .. i .. " col " .. j)
                    end
                end
            end
            seqs[#seqs + 1] = {0, 1, 99, 3}
            assert.same(c.texts, tok:sequences_to_texts(seqs))
        end
    end)

    it("pad_sequences matches Keras (pre/post, truncating, value)", function()
        for _, p in ipairs(cases.pad) do
            local opts = {as = "table"}
            for k, v in pairs(p.opts) do opts[k] = v end
            assert.same(p.out, pad(cases.seqs, opts))
            opts.as = nil
            assert.same(p.out, rows(pad(cases.seqs, opts)))
        end
        assert.same({{0, 1}, {-2, 2}}, pad({{1.9}, {-2.7, 2.2}}, {as = "table"}))
        assert.same({{0.0, 1.5}}, pad({{1.5}}, {maxlen = 2, dtype = "float32", as = "table"}))
    end)

    it("to_categorical matches Keras", function()
        assert.same(cases.categorical.out,
                    rows(K.utils.to_categorical(cases.categorical.y)))
        assert.same(cases.categorical5.out,
                    rows(K.utils.to_categorical(cases.categorical5.y, 5)))
    end)

    it("finds the lab's 65 tokens and its example sequence", function()
        local csv = datasets.generate("connected-car-components")
        local texts = {}
        for t in csv:gmatch("\n([^,\n]+),%d") do texts[#texts + 1] = t end
        assert.equals(100000, #texts)
        local tok = Tokenizer{num_words = 10000}
        tok:fit_on_texts(texts)
        local n = 0
        for _ in pairs(tok.word_index) do n = n + 1 end
        assert.equals(65, n)
        local seq = tok:texts_to_sequences({"good condition steel component manufactured in 2012"})
        assert.same({{0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 9, 4, 3, 1, 40}},
                    rows(pad(seq, {maxlen = 15})))
    end)

    it("rejects bad input with exact messages", function()
        local function err_of(f, ...)
            local ok, e = pcall(f, ...)
            assert.is_false(ok)
            return e
        end
        assert.matches('pad_sequences: Padding type "middle" not understood',
                       err_of(pad, {{1}}, {padding = "middle"}), 1, true)
        assert.matches('pad_sequences: Truncating type "x" not understood',
                       err_of(pad, {{1}}, {truncating = "x"}), 1, true)
        assert.matches("pad_sequences: sequences must be a list of iterables. " ..
                       "Found non-iterable: 3 at position 2",
                       err_of(pad, {{1}, 3}), 1, true)
        assert.matches("pad_sequences: maxlen must be a non-negative integer, got 2.5",
                       err_of(pad, {{1}}, {maxlen = 2.5}), 1, true)
        assert.matches("Tokenizer: num_words must be a non-negative integer, got -1",
                       err_of(Tokenizer, {num_words = -1}), 1, true)
        local tok = Tokenizer()
        assert.matches("sequences_to_matrix: Specify a dimension (`num_words` argument), " ..
                       "or fit on some text data first.",
                       err_of(tok.sequences_to_matrix, tok, {{1}}), 1, true)
        assert.matches("sequences_to_matrix: Unknown vectorization mode: bag",
                       err_of(tok.texts_to_matrix, tok, {"a"}, "bag"), 1, true)
        assert.matches("fit_on_texts: texts must be strings or lists of strings, got number",
                       err_of(tok.fit_on_texts, tok, {"a", 5}), 1, true)
        assert.matches("to_categorical: label 2 is 3, out of range for 3 classes",
                       err_of(K.utils.to_categorical, {0, 3}, 3), 1, true)
        assert.matches("to_categorical: label 1 must be a non-negative integer, got -1",
                       err_of(K.utils.to_categorical, {-1}), 1, true)
    end)
end)

describe("keras models", function()
    local K = keras
    local nn = require("lualab._nn")

    local function lab_model(opts)
        opts = opts or {}
        return K.Sequential{
            K.layers.Embedding(10000, 100, {input_length = 15, weights = opts.weights,
                                            trainable = false}),
            K.layers.LSTM(100, {dropout = 0.2, recurrent_dropout = 0.2}),
            K.layers.Dense(1, {activation = "sigmoid"}),
        }
    end

    it("summarises the lab's model as Keras does", function()
        K.layers.reset_names()
        local m = lab_model()
        local total, trainable = m:count_params()
        assert.equals(1080501, total)
        assert.equals(80501, trainable)
        local want = table.concat({
            'Model: "sequential"',
            string.rep("_", 65),
            "Layer (type)                 Output Shape              Param #   ",
            string.rep("=", 65),
            "embedding (Embedding)        (None, 15, 100)           1000000   ",
            string.rep("_", 65),
            "lstm (LSTM)                  (None, 100)               80400     ",
            string.rep("_", 65),
            "dense (Dense)                (None, 1)                 101       ",
            string.rep("=", 65),
            "Total params: 1,080,501",
            "Trainable params: 80,501",
            "Non-trainable params: 1,000,000",
            string.rep("_", 65)}, "\n")
        assert.equals(want, m:summary_text())
        assert.equals("keras", m._flavor)
    end)

    it("trains the lab's classifier on a slice of the components data", function()
        K.utils.set_random_seed(7)
        local csv = datasets.generate("connected-car-components", {rows = 3000, seed = 5})
        local texts, labels = {}, {}
        for t, l in csv:gmatch("\n([^,\n]+),(%d)") do
            texts[#texts + 1] = t
            labels[#labels + 1] = tonumber(l)
        end
        local tok = K.preprocessing.text.Tokenizer{num_words = 10000}
        tok:fit_on_texts(texts)
        local data = K.preprocessing.sequence.pad_sequences(
            tok:texts_to_sequences(texts), {maxlen = 15})
        assert.same({3000, 15}, data:shape())
        local y = nn.tensor(labels)
        local emb = datasets.word_vectors({vocab = tok, num_words = 10000, dim = 100})
        local m = lab_model({weights = {emb}})
        m:compile{optimizer = K.optimizers.Adam{learning_rate = 0.001},
                  loss = "binary_crossentropy", metrics = {"accuracy"}}
        local lines = {}
        local h = m:fit(data:narrow(0, 0, 2000), y:narrow(0, 0, 2000),
                        {epochs = 2, batch_size = 16, validation_split = 0.1,
                         verbose = 0,
                         callbacks = {K.callbacks.LambdaCallback{
                             on_epoch_end = function(e, logs) lines[#lines + 1] = e end}}})
        assert.same({0, 1}, lines)
        assert.same({0, 1}, h.epoch)
        assert.equals(2, #h.history.loss)
        assert.is_true(h.history.loss[2] < h.history.loss[1])
        local loss, acc = m:evaluate(data:narrow(0, 2000, 1000), y:narrow(0, 2000, 1000),
                                     {verbose = 0})
        assert.is_true(acc > 0.9, "held-out accuracy " .. acc)
        assert.is_true(loss < 0.3)
        local p = m:predict(data:narrow(0, 2000, 4))
        assert.same({4, 1}, p:shape())
    end)
end)

-- Reference maths for Keras' layers, written from Keras' equations, on
-- nested Lua tables (Keras layouts: kernel D x units, gates i f c o for
-- LSTM, z r h for GRU with reset_after).
local function sig(v) return 1 / (1 + math.exp(-v)) end
local function ref_gates(x, h, W, U, b, g, units, bias_r)
    -- returns xW + b (per gate) and hU (+ recurrent bias)
    local xw, hu = {}, {}
    for j = 1, g * units do
        local a = b and b[j] or 0
        for k = 1, #x do a = a + x[k] * W[k][j] end
        local r = bias_r and bias_r[j] or 0
        for k = 1, #h do r = r + h[k] * U[k][j] end
        xw[j], hu[j] = a, r
    end
    return xw, hu
end

local function ref_rnn(kind, xs, w, units, backwards)
    local g = ({lstm = 4, gru = 3, rnn = 1})[kind]
    local W, U = w[1], w[2]
    local b, br
    if kind == "gru" then b, br = w[3][1], w[3][2] else b = w[3] end
    local outs = {}
    for s = 1, #xs do
        local h, c = {}, {}
        for j = 1, units do h[j], c[j] = 0, 0 end
        local seq = {}
        local T = #xs[s]
        for step = 1, T do
            local t = backwards and (T - step + 1) or step
            local xw, hu = ref_gates(xs[s][t], h, W, U, b, g, units, br)
            local nh, nc = {}, {}
            for j = 1, units do
                if kind == "lstm" then
                    local i = sig(xw[j] + hu[j])
                    local f = sig(xw[units + j] + hu[units + j])
                    local cc = math.tanh(xw[2 * units + j] + hu[2 * units + j])
                    local o = sig(xw[3 * units + j] + hu[3 * units + j])
                    nc[j] = f * c[j] + i * cc
                    nh[j] = o * math.tanh(nc[j])
                elseif kind == "gru" then
                    local z = sig(xw[j] + hu[j])
                    local r = sig(xw[units + j] + hu[units + j])
                    local hh = math.tanh(xw[2 * units + j] + r * hu[2 * units + j])
                    nh[j] = z * h[j] + (1 - z) * hh
                else
                    nh[j] = math.tanh(xw[j] + hu[j])
                end
            end
            h, c = nh, nc
            seq[step] = h
        end
        outs[s] = seq
    end
    return outs
end

local function near_table(want, got, tol, path)
    path = path or "x"
    if type(want) == "table" then
        assert.equals(#want, #got, path .. " length")
        for i = 1, #want do near_table(want[i], got[i], tol, path .. "[" .. i .. "]") end
    else
        assert(math.abs(want - got) <= tol, string.format("%s: want %.7g got %.7g", path, want, got))
    end
end

-- Deterministic weights for a shape (nested tables).
local function fill(shape, k)
    local function rec(d, base)
        local t = {}
        for i = 1, shape[d] do
            if d == #shape then
                t[i] = math.sin(k * 1.7 + base * 0.37 + i * 0.91) * 0.6
            else
                t[i] = rec(d + 1, base * 7 + i)
            end
        end
        return t
    end
    return rec(1, 0)
end

describe("keras layers against Keras' equations", function()
    local K = keras
    local nn = require("lualab._nn")
    local xs = fill({2, 4, 3}, 1)

    for _, case in ipairs({{"LSTM", "lstm"}, {"GRU", "gru"}, {"SimpleRNN", "rnn"}}) do
        for _, back in ipairs({false, true}) do
            it(case[1] .. (back and " go_backwards" or "") .. " follows Keras", function()
                local layer = K.layers[case[1]](2, {input_shape = {4, 3},
                    return_sequences = true, go_backwards = back})
                local m = K.Sequential{layer}
                local ws = {}
                for i, w in ipairs(m:get_weights()) do
                    ws[i] = fill(w:shape(), i + 3)
                end
                m:set_weights(ws)
                local got = m:predict(nn.tensor(xs)):tolist()
                near_table(ref_rnn(case[2], xs, ws, 2, back), got, 1e-5)
                -- get_weights gives back what set_weights took
                for i, w in ipairs(m:get_weights()) do near_table(ws[i], w:tolist(), 1e-6) end
            end)
        end
    end

    it("Bidirectional concatenates forward and re-reversed backward outputs", function()
        local m = K.Sequential{K.layers.Bidirectional(K.layers.LSTM(2, {return_sequences = true}),
                                                    {input_shape = {4, 3}})}
        local ws = {}
        for i, w in ipairs(m:get_weights()) do ws[i] = fill(w:shape(), i) end
        m:set_weights(ws)
        local got = m:predict(nn.tensor(xs)):tolist()
        local f = ref_rnn("lstm", xs, {ws[1], ws[2], ws[3]}, 2, false)
        local b = ref_rnn("lstm", xs, {ws[4], ws[5], ws[6]}, 2, true)
        for s = 1, 2 do
            for t = 1, 4 do
                local want = {f[s][t][1], f[s][t][2], b[s][5 - t][1], b[s][5 - t][2]}
                near_table(want, got[s][t], 1e-5)
            end
        end
    end)

    it("Dense, Conv1D, pooling, Flatten, RepeatVector, TimeDistributed follow Keras", function()
        local x = fill({2, 6, 2}, 9)
        local m = K.Sequential{K.layers.Conv1D(3, 2, {input_shape = {6, 2}, strides = 2,
                                                      activation = "relu"})}
        local W, b = fill({2, 2, 3}, 1), fill({3}, 2)
        m:set_weights({W, b})
        local got = m:predict(nn.tensor(x)):tolist()
        for s = 1, 2 do
            for t = 1, 3 do
                for o = 1, 3 do
                    local a = b[o]
                    for k = 1, 2 do
                        for c = 1, 2 do a = a + x[s][(t - 1) * 2 + k][c] * W[k][c][o] end
                    end
                    near_table(math.max(a, 0), got[s][t][o], 1e-5)
                end
            end
        end
        local m2 = K.Sequential{K.layers.MaxPooling1D(2, {input_shape = {6, 2}}),
                                K.layers.Flatten()}
        local p = m2:predict(nn.tensor(x)):tolist()
        near_table({math.max(x[1][1][1], x[1][2][1]), math.max(x[1][1][2], x[1][2][2])},
                   {p[1][1], p[1][2]}, 1e-6)
        assert.equals(6, #p[1])
        local m3 = K.Sequential{K.layers.GlobalAveragePooling1D({input_shape = {6, 2}}),
                                K.layers.RepeatVector(3),
                                K.layers.TimeDistributed(K.layers.Dense(1, {use_bias = false}))}
        m3:set_weights({{{1}, {-1}}})
        local avg = 0
        for t = 1, 6 do avg = avg + (x[2][t][1] - x[2][t][2]) / 6 end
        local q = m3:predict(nn.tensor(x)):tolist()
        near_table({{avg}, {avg}, {avg}}, q[2], 1e-6)
    end)

    it("uses Keras' initializers", function()
        K.utils.set_random_seed(3)
        local m = K.Sequential{K.layers.LSTM(8, {input_shape = {5, 6}}),
                               K.layers.Dense(4)}
        local w = m:get_weights()
        -- kernel: glorot_uniform within sqrt(6 / (6 + 32))
        local lim = math.sqrt(6 / 38)
        for _, row in ipairs(w[1]:tolist()) do
            for _, v in ipairs(row) do assert.is_true(math.abs(v) <= lim) end
        end
        -- recurrent kernel (8 x 32): orthogonal rows
        local U = w[2]:tolist()
        for i = 1, 8 do
            for j = 1, 8 do
                local d = 0
                for k = 1, 32 do d = d + U[i][k] * U[j][k] end
                assert.is_true(math.abs(d - (i == j and 1 or 0)) < 1e-5)
            end
        end
        -- bias: zeros with the forget gate at 1
        local b = w[3]:tolist()
        for j = 1, 32 do assert.equals((j > 8 and j <= 16) and 1 or 0, b[j]) end
        assert.same({0, 0, 0, 0}, w[5]:tolist())
    end)
end)

describe("keras training tools", function()
    local K = keras
    local nn = require("lualab._nn")
    local tmp

    before_each(function()
        tmp = os.tmpname()
        os.remove(tmp)
        os.execute("mkdir -p " .. tmp)
    end)
    after_each(function() os.execute("rm -rf " .. tmp) end)

    local function toy()
        K.layers.reset_names()
        K.utils.set_random_seed(11)
        local x = nn.randn({64, 5, 3})
        local y = x:sum(2):sum(1):gt(0)
        local m = K.Sequential{K.layers.GRU(4, {input_shape = {5, 3}}),
                               K.layers.Dense(1, {activation = "sigmoid"})}
        m:compile{optimizer = "adam", loss = "binary_crossentropy", metrics = {"accuracy"}}
        return m, x, y
    end

    local function read(path)
        local f = assert(io.open(path))
        local s = f:read("a")
        f:close()
        return s
    end

    it("saves to a directory and loads the same model back", function()
        local m, x, y = toy()
        m:fit(x, y, {epochs = 1, batch_size = 16, verbose = 0})
        assert.equals(tmp .. "/m", m:save(tmp .. "/m"))
        assert.matches('"class_name": "Sequential"', read(tmp .. "/m/config.json"), 1, true)
        local m2 = K.models.load_model(tmp .. "/m")
        assert.same(m:predict(x):tolist(), m2:predict(x):tolist())
        assert.equals(m:summary_text(), m2:summary_text())
        assert.equals("binary_crossentropy", m2.loss)
        local ws = m2:get_weights()
        assert.equals(5, #ws)
        assert.same({3, 12}, ws[1]:shape())
        assert.same({4, 12}, ws[2]:shape())
        assert.same({2, 12}, ws[3]:shape())
        local ok, err = pcall(K.models.load_model, tmp .. "/none")
        assert.is_false(ok)
        assert.matches("load_model: " .. tmp .. "/none/config.json: No such file", err, 1, true)
    end)

    it("refuses a crafted config's sizes naming the file, layer and key", function()
        local json = require("lualab.json")
        local m = toy()
        m:save(tmp .. "/hostile")
        local cfile = tmp .. "/hostile/config.json"
        local clean = read(cfile)
        local function load_with(edit)
            local cfg = json.decode(clean)
            edit(cfg.layers)
            local f = assert(io.open(cfile, "w"))
            f:write(json.encode(cfg))
            f:close()
            local ok, err = pcall(K.models.load_model, tmp .. "/hostile")
            assert.is_false(ok)
            return err
        end
        -- the Dense layer (2), then the GRU (1)
        local names = {}
        local err = load_with(function(ls)
            names = {ls[1].name, ls[2].name}
            ls[2].config.units = 4611686018427387904
        end)
        assert.equals("load_model: " .. cfile .. ": layer '" .. names[2] .. "': 'units' is " ..
            "4611686018427387904, more than 2147483647", err)
        err = load_with(function(ls) ls[1].config.units = 1e300 end)
        assert.equals("load_model: " .. cfile .. ": layer '" .. names[1] .. "': 'units' is " ..
            "1e+300, more than 2147483647", err)
        -- the clean file still loads
        local f = assert(io.open(cfile, "w"))
        f:write(clean)
        f:close()
        assert.is_table(K.models.load_model(tmp .. "/hostile"))
    end)

    it("splits validation data from the end before shuffling, as Keras", function()
        local m, x, y = toy()
        local seen = 0
        local h = m:fit(x, y, {epochs = 1, batch_size = 10, validation_split = 0.25,
            verbose = 0, callbacks = {K.callbacks.LambdaCallback{
                on_batch_end = function(_, logs) seen = seen + logs.size end}}})
        assert.equals(48, seen)
        -- the validation loss is the loss on the last 16 rows
        local vl = m:evaluate(x:narrow(0, 48, 16), y:narrow(0, 48, 16), {verbose = 0})
        assert.near(vl, h.history.val_loss[1], 1e-6)
    end)

    it("EarlyStopping stops and restores the best weights", function()
        local m, x, y = toy()
        local best
        local h = m:fit(x, y, {epochs = 30, batch_size = 64, verbose = 0,
            validation_data = {x:narrow(0, 0, 8), y:narrow(0, 0, 8)},
            callbacks = {K.callbacks.EarlyStopping{monitor = "loss", mode = "max",
                                                   patience = 2, restore_best_weights = true}}})
        -- loss falls every epoch, so "max" mode stops after epoch 3
        assert.equals(3, #h.epoch)
        best = m:evaluate(x, y, {verbose = 0, batch_size = 64})
        assert.near(h.history.loss[1], best, 0.02)
    end)

    it("ModelCheckpoint, CSVLogger and ReduceLROnPlateau do their jobs", function()
        local m, x, y = toy()
        local h = m:fit(x, y, {epochs = 3, batch_size = 16, verbose = 0,
            validation_split = 0.25,
            callbacks = {K.callbacks.ModelCheckpoint(tmp .. "/ck-{epoch:02d}",
                                                     {monitor = "loss", save_best_only = true}),
                         K.callbacks.CSVLogger(tmp .. "/log.csv"),
                         K.callbacks.ReduceLROnPlateau{monitor = "loss", mode = "max",
                                                       patience = 1, factor = 0.5}}})
        assert.is_not_nil(io.open(tmp .. "/ck-01/weights.safetensors"))
        assert.is_not_nil(io.open(tmp .. "/ck-03/config.json"))
        local csv = read(tmp .. "/log.csv")
        assert.matches("^epoch,accuracy,loss,val_accuracy,val_loss\n0,", csv)
        assert.equals(4, select(2, csv:gsub("\n", "")))
        -- logs.lr is the rate the epoch ran with (Keras logs it before reducing)
        assert.same({0.001, 0.001, 0.0005}, h.history.lr)
        assert.equals(0.00025, m.optimizer:get_lr())
    end)

    it("TerminateOnNaN stops training on a NaN loss", function()
        local cb = K.callbacks.TerminateOnNaN()
        cb.model = {}
        cb.on_batch_end(3, {loss = 0 / 0})
        assert.is_true(cb.model.stop_training)
    end)

    it("calls the MLflow autolog hooks when autologging is on", function()
        local calls = {}
        package.loaded["lualab.mlflow"] = {
            _autolog_enabled = function() return true end,
            _autolog_fit_start = function(model, p) calls[#calls + 1] = {"start", model, p} end,
            _autolog_epoch_end = function(e, logs) calls[#calls + 1] = {"epoch", e, logs.loss} end,
            _autolog_fit_end = function(model, h) calls[#calls + 1] = {"end", h} end,
        }
        local ok, err = pcall(function()
            local m, x, y = toy()
            local h = m:fit(x, y, {epochs = 2, batch_size = 32, verbose = 0})
            assert.equals(4, #calls)
            assert.equals("start", calls[1][1])
            assert.equals(m, calls[1][2])
            assert.same({epochs = 2, batch_size = 32, optimizer = "Adam",
                         learning_rate = 0.001, loss = "binary_crossentropy"}, calls[1][3])
            assert.same({"epoch", 1, h.history.loss[2]}, calls[3])
            assert.equals(h, calls[4][2])
        end)
        package.loaded["lualab.mlflow"] = nil
        assert(ok, err)
    end)

    it("rejects bad input with exact messages", function()
        local function err_of(f, ...)
            local ok, e = pcall(f, ...)
            assert.is_false(ok)
            return e
        end
        local m, x, y = toy()
        local fresh = K.Sequential{K.layers.Dense(1, {input_shape = {3}})}
        assert.matches("fit: you must compile your model before training/testing",
                       err_of(fresh.fit, fresh, nn.zeros({2, 3}), nn.zeros({2})), 1, true)
        assert.matches("compile: unknown loss 'hinge2'",
                       err_of(m.compile, m, {optimizer = "adam", loss = "hinge2"}), 1, true)
        assert.matches("compile: unknown optimizer 'adamax' (adam, sgd, rmsprop, adagrad)",
                       err_of(m.compile, m, {optimizer = "adamax", loss = "mse"}), 1, true)
        assert.matches("fit: the model expects input of shape (None, 5, 3), got (None, 4, 3)",
                       err_of(m.fit, m, nn.zeros({2, 4, 3}), nn.zeros({2})), 1, true)
        assert.matches("fit: x has 64 samples but y has 3",
                       err_of(m.fit, m, x, nn.zeros({3})), 1, true)
        assert.matches("fit: unknown option 'epoch' (did you mean 'epochs'?)",
                       err_of(m.fit, m, x, y, {epoch = 2}), 1, true)
        assert.matches("Dense: unknown option 'unit' (did you mean 'units'?)",
                       err_of(K.layers.Dense, 3, {unit = 3}), 1, true)
        assert.matches("Dense: units must be a positive integer, got 0",
                       err_of(K.layers.Dense, 0), 1, true)
        assert.matches("LSTM: dropout must be in [0, 1), got 1.5",
                       err_of(K.layers.LSTM, 3, {dropout = 1.5}), 1, true)
        assert.matches("Embedding: mask_zero=true is not supported",
                       err_of(K.layers.Embedding, 10, 4, {mask_zero = true}), 1, true)
        assert.matches("layer gru: weight 'kernel' must be a Tensor or nested tables, got number",
                       err_of(m.set_weights, m, {1, 2, 3, 4, 5}), 1, true)
        local lay = m.layers[2]
        assert.matches("layer dense: weight 'kernel' has shape (2, 1), expected (4, 1)",
                       err_of(lay.set_weights, lay, {nn.zeros({2, 1}), nn.zeros({1})}), 1, true)
        assert.matches("set_weights: the model has 5 weight arrays, got 2",
                       err_of(m.set_weights, m, {1, 2}), 1, true)
        local unbuilt = K.Sequential{K.layers.Dense(2)}
        assert.matches("This model has not yet been built.",
                       err_of(unbuilt.summary_text, unbuilt), 1, true)
        assert.matches("keras.optimizers.Adam: unknown option 'learningrate' (did you mean 'learning_rate'?)",
                       err_of(K.optimizers.Adam, {learningrate = 0.1}), 1, true)
        assert.matches("EarlyStopping: unknown option 'patient'",
                       err_of(K.callbacks.EarlyStopping, {patient = 2}), 1, true)
    end)
end)

describe("keras History:plot", function()
    it("draws the lab's 1x2 figure, or says the build has no plot module", function()
        local K = keras
        local nn = require("lualab._nn")
        local x = nn.randn({32, 3})
        local y = x:sum(1):gt(0)
        local m = K.Sequential{K.layers.Dense(1, {input_shape = {3}, activation = "sigmoid"})}
        m:compile{optimizer = "adam", loss = "binary_crossentropy", metrics = {"accuracy"}}
        local h = m:fit(x, y, {epochs = 2, verbose = 0, validation_split = 0.25})
        local has_plot = pcall(require, "lualab.plot")
        if has_plot then
            local p = h:plot()
            assert.equals("grid", p:kind())
            local s = p:text{width = 100, height = 14, ascii = true}
            assert.matches("Training and validation accuracy", s, 1, true)
            assert.matches("Training and validation loss", s, 1, true)
        else
            local ok, err = pcall(h.plot, h)
            assert.is_false(ok)
            assert.matches("History:plot: this build has no plot module (lualab.plot)",
                           err, 1, true)
        end
    end)
end)
