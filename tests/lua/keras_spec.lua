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
