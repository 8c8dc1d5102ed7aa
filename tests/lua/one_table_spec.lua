-- Lua's one-table call: keras and nn constructors take their positional
-- arguments as array entries of the options table, as in the
-- two-argument form (Dense{1, activation = "sigmoid"}).
local keras = require("lualab.keras")
local nn = require("lualab.nn")
local L = keras.layers

local function errmsg(f, ...)
    local ok, e = pcall(f, ...)
    assert(not ok, "expected an error")
    return tostring(e)
end

-- Configs of both forms must be identical (names aside).
local function same_config(a, b)
    assert.same(a:get_config(), b:get_config())
end

describe("keras constructors", function()
    it("Dense, Embedding, LSTM as in the issue", function()
        local d = L.Dense{1, activation = "sigmoid"}
        assert.equal(1, d.units)
        assert.equal("sigmoid", d.activation)
        same_config(L.Dense(1, {activation = "sigmoid"}), d)
        local e = L.Embedding{10000, 100, input_length = 15}
        assert.equal(10000, e.input_dim)
        assert.equal(100, e.output_dim)
        assert.equal(15, e.input_length)
        -- input_dim is the vocabulary here, not an input shape
        assert.same({15}, e.declared_input)
        same_config(L.Embedding(10000, 100, {input_length = 15}), e)
        local l = L.LSTM{100, dropout = 0.2}
        assert.equal(100, l.units)
        assert.equal(0.2, l.dropout)
        same_config(L.LSTM(100, {dropout = 0.2}), l)
    end)

    it("every layer with positional arguments", function()
        same_config(L.GRU(8, {return_sequences = true}), L.GRU{8, return_sequences = true})
        same_config(L.SimpleRNN(4), L.SimpleRNN{4})
        same_config(L.Dropout(0.25), L.Dropout{0.25})
        assert.equal(0.5, L.Dropout{rate = 0.5}.rate)
        same_config(L.Activation("relu"), L.Activation{"relu"})
        same_config(L.RepeatVector(3), L.RepeatVector{3})
        same_config(L.Conv1D(16, 3, {activation = "relu"}), L.Conv1D{16, 3, activation = "relu"})
        same_config(L.MaxPooling1D(2, {strides = 1}), L.MaxPooling1D{2, strides = 1})
        same_config(L.AveragePooling1D(3), L.AveragePooling1D{3})
        local bi = L.Bidirectional{L.LSTM(4), merge_mode = "sum"}
        assert.equal("sum", bi.merge_mode)
        local td = L.TimeDistributed{L.Dense(2)}
        assert.equal(2, td.inner.units)
        assert.same({15}, keras.Input{{15}}.shape)
        assert.same({15}, keras.Input{shape = {15}}.shape)
    end)

    it("optimizers and callbacks", function()
        local a = keras.optimizers.Adam{0.01, beta_1 = 0.8}
        assert.equal(0.01, a.learning_rate)
        assert.equal(0.8, a.beta_1)
        assert.equal(0.05, keras.optimizers.SGD{0.05}.learning_rate)
        local cb = keras.callbacks.ModelCheckpoint{"best.model", save_best_only = true}
        assert.equal("best.model", cb.filepath)
        local csv = keras.callbacks.CSVLogger{"log.csv", separator = ";"}
        assert.equal("log.csv", csv.filename)
        assert.equal(";", csv.separator)
    end)

    it("builds and runs a model made with one-table calls", function()
        local m = keras.Sequential{
            L.Embedding{20, 4, input_length = 5},
            L.LSTM{6},
            L.Dense{1, activation = "sigmoid"},
        }
        local y = m:predict(nn.tensor{{1, 2, 3, 4, 5}, {0, 0, 7, 8, 9}})
        assert.same({2, 1}, y:shape())
    end)

    it("refuses bad one-table calls with exact messages", function()
        assert.equal("Dense: too many positional arguments (at most 1: units)",
            errmsg(L.Dense, {1, 2}):gsub("^[^:]*:%d+: ", ""))
        assert.equal("Dense: 'units' given both by position and by name",
            errmsg(L.Dense, {1, units = 2}):gsub("^[^:]*:%d+: ", ""))
        assert.equal("Embedding: too many positional arguments (at most 2: input_dim, output_dim)",
            errmsg(L.Embedding, {10, 4, 5}):gsub("^[^:]*:%d+: ", ""))
        assert.equal("LSTM: unknown option 'dropuot' (did you mean 'dropout'?)",
            errmsg(L.LSTM, {4, dropuot = 0.1}):gsub("^[^:]*:%d+: ", ""))
    end)
end)

describe("nn constructors", function()
    it("Linear, Embedding, recurrent layers and cells", function()
        local lin = nn.Linear{4, 2}
        assert.equal(4, lin.in_features)
        assert.equal(2, lin.out_features)
        assert.truthy(lin.bias)
        assert.falsy(nn.Linear{4, 2, bias = false}.bias)
        assert.falsy(nn.Linear{in_features = 4, out_features = 2, bias = false}.bias)
        local emb = nn.Embedding{10, 3, padding_idx = 0}
        assert.same({10, 3}, emb.weight:shape())
        assert.equal(0, emb.padding_idx)
        local lstm = nn.LSTM{4, 8, batch_first = true}
        assert.equal(4, lstm.input_size)
        assert.equal(8, lstm.hidden_size)
        assert.equal(1, lstm.num_layers)
        assert.is_true(lstm.batch_first)
        assert.equal(2, nn.GRU{4, 8, 2}.num_layers)
        local named = nn.LSTM{input_size = 3, hidden_size = 5, bidirectional = true}
        assert.equal(3, named.input_size)
        assert.is_true(named.bidirectional)
        assert.equal("relu", nn.RNN{2, 3, nonlinearity = "relu"}.cell)
        assert.equal(7, nn.LSTMCell{3, 7}.hidden_size)
        assert.equal(5, nn.GRUCell{2, 5, bias = false}.hidden_size)
        -- the positional form still works
        assert.equal(8, nn.LSTM(4, 8).hidden_size)
    end)

    it("Conv1d, pools, dropout, norms and activations", function()
        local c = nn.Conv1d{2, 4, 3, stride = 2}
        assert.equal(3, c.kernel_size)
        assert.equal(2, c.stride)
        local p = nn.MaxPool1d{2, 1}
        assert.equal(2, p.kernel_size)
        assert.equal(1, p.stride)
        assert.equal(1, nn.AvgPool1d{3, stride = 1}.stride)
        assert.equal(1, nn.MaxPool1d(2, 1).stride)
        assert.equal(1, nn.MaxPool1d(2, {stride = 1}).stride)
        assert.equal(0.3, nn.Dropout{0.3}.p)
        assert.equal(0.3, nn.Dropout{p = 0.3}.p)
        assert.equal(6, nn.LayerNorm{6, eps = 1e-6}.normalized_shape)
        assert.equal(0.2, nn.LeakyReLU{0.2}.arg)
        assert.equal(0, nn.Softmax{dim = 0}.arg)
        local x = nn.tensor{{1, 2}, {3, 4}}
        assert.same(nn.Softmax(0)(x):tolist(), nn.Softmax{0}(x):tolist())
    end)

    it("refuses bad one-table calls with exact messages", function()
        assert.equal("Linear: too many positional arguments (at most 3: in_features, out_features, bias)",
            errmsg(nn.Linear, {4, 2, true, 5}):gsub("^[^:]*:%d+: ", ""))
        assert.equal("Linear: 'in_features' given both by position and by name",
            errmsg(nn.Linear, {4, 2, in_features = 3}):gsub("^[^:]*:%d+: ", ""))
        assert.equal("ReLU: takes no positional arguments, got one at [1]",
            errmsg(nn.ReLU, {1}):gsub("^[^:]*:%d+: ", ""))
    end)

    it("leaves Sequential and user modules alone", function()
        local s = nn.Sequential{nn.Linear(2, 3), nn.ReLU()}
        assert.equal(2, #s._order)
        local Mine = nn.Linear:extend("Mine")
        function Mine:init(opts) self.opts = opts end
        assert.same({1, 2}, Mine{1, 2}.opts)
    end)
end)
