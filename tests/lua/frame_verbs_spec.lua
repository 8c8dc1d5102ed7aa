-- The pandas verbs of the df module (Series and DataFrame methods, read_csv
-- options, NA keys) against pandas' answers, stored in tests/fixtures/frame/
-- by tests/fixtures/make_frame.py; then misuse with the exact messages.
local DIR = FIXTURES .. "/frame/"

local function read(name, opts)
    return assert(df.read_csv(DIR .. name, opts))
end

local function same_value(a, b)
    if a == nil or b == nil then return a == nil and b == nil end
    if type(a) == "number" and type(b) == "number" then
        if a ~= a or b ~= b then return a ~= a and b ~= b end
        return math.abs(a - b) <= 1e-9 * math.max(1, math.abs(a), math.abs(b))
    end
    return tostring(a) == tostring(b)
end

local function assert_column(want, got, what)
    assert.equals(#want, #got, what .. ": length")
    for i = 1, #want do
        if not same_value(want[i], got[i]) then
            error(("%s row %d: want %s, got %s"):format(what, i,
                tostring(want[i]), tostring(got[i])), 2)
        end
    end
end

local function assert_frames(want, got)
    assert.same(want:columns(), got:columns())
    assert.equals(#want, #got)
    for _, name in ipairs(want:columns()) do
        assert_column(want[name], got[name], "column " .. name)
    end
end

local function err_of(fn, ...)
    local ok, msg = pcall(fn, ...)
    assert.is_false(ok)
    return msg
end

describe("Column verbs vs pandas", function()
    local s = read("series_verbs.csv")
    local x, k = s.x, s.k
    local cases = {
        x_cumsum = x:cumsum(), x_cumprod = x:cumprod(), x_cummax = x:cummax(),
        x_cummin = x:cummin(), k_cumsum = k:cumsum(), k_cumprod = k:cumprod(),
        x_diff = x:diff(), k_diff2 = k:diff(2), k_diff_1 = k:diff(-1),
        x_shift = x:shift(), k_shift_2 = k:shift(-2),
        x_pct = x:pct_change(), k_pct2 = k:pct_change(2),
        x_round1 = x:round(1), x_round0 = x:round(), k_round_1 = k:round(-1),
        x_clip = x:clip(-1, 3), k_clip = k:clip{lower = 2, upper = 5},
        k_replace = k:replace{[1] = 100, [5] = 50},
        x_between = x:between(0, 3), k_isin = k:isin{1, 5, 9},
    }
    for name, got in pairs(cases) do
        it(name, function() assert_column(s[name], got, name) end)
    end

    it("keeps int columns int where pandas does", function()
        assert.equal("int", k:cumsum():dtype())
        assert.equal("int", k:clip(2, 5):dtype())
        assert.equal("float", k:clip(2.5, 5):dtype())
        assert.equal("int", k:round(-1):dtype())
        assert.equal("float", k:diff():dtype())
        assert.equal("int", k:replace(1, 100):dtype())
    end)

    it("heads, tails and uniques", function()
        assert.same({3, 1}, k:head(2):to_table())
        assert.same({5, 3}, k:tail(2):to_table())
        assert.equal(5, #k:head())
        assert.equal(9, #k:head(-1))
        local u = read("unique.csv")
        local got = read("str_verbs.csv").s:unique()
        assert_column(u.s, got, "unique")
    end)
end)

describe("string methods vs pandas", function()
    local t = read("str_verbs.csv")
    local s = t.s
    it("as c.str:method() and c:method()", function()
        assert_column(t.lower, s.str:lower(), "lower")
        assert_column(t.upper, s.str:upper(), "upper")
        assert_column(t.strip, s.str:strip(), "strip")
        assert_column(t.len, s.str:len(), "len")
        assert_column(t.replace, s.str:replace("an", "AN"), "replace")
        local parts = s.str:split("-")
        assert_column(t.split0, parts[1], "split0")
        assert_column(t.split1, parts[2], "split1")
        assert_column(t.lower, s:lower(), "c:lower()")
        -- pandas leaves NA for NA; the mask says false there
        local c = s.str:contains("an")
        for i = 1, #s do
            assert.equal(t.contains_an[i] or false, c[i])
        end
    end)

    it("strips spaces and tabs at both ends", function()
        local c = df.column({"  a b ", "\tc\t", df.NA})
        local r = c.str:strip()
        assert.same({"a b", "c"}, {r[1], r[2]})
        assert.is_nil(r[3])
    end)

    it("value_counts drops NA unless dropna = false", function()
        assert_frames(read("value_counts.csv"), s:value_counts())
        local got = s:value_counts{dropna = false, normalize = true}
        assert_frames(read("value_counts_na.csv"), got)
    end)
end)

describe("map and apply", function()
    local c = df.column({1, 2, df.NA, 4}, nil, "c")
    it("types the result by what the function returns", function()
        local doubled = c:map(function(v) return v and v * 2 end)
        assert.equal("int", doubled:dtype())
        assert.same({2, 4, nil, 8}, {doubled[1], doubled[2], doubled[3], doubled[4]})
        assert.equal("float", c:apply(function(v) return v and v / 2 end):dtype())
        local s = c:map(function(v) return v and ("n" .. v) or "none" end)
        assert.equal("string", s:dtype())
        assert.equal("none", s[3])
        assert.equal("bool", c:map(function(v) return v ~= nil end):dtype())
    end)

    it("passes nil for NA unless na_action = 'ignore', and maps by table", function()
        local seen = 0
        c:map(function(v) if v == nil then seen = seen + 1 end return 0 end)
        assert.equal(1, seen)
        seen = 0
        local r = c:map(function(v) if v == nil then seen = seen + 1 end return 0 end,
                        {na_action = "ignore"})
        assert.equal(0, seen)
        assert.is_nil(r[3])
        local m = c:map{[1] = "one", [4] = "four"}
        assert.same({"one", nil, nil, "four"}, {m[1], m[2], m[3], m[4]})
    end)

    it("reports mixed results and bad arguments", function()
        assert.matches("map: item 2: mixed value types",
            err_of(c.map, c, function(v) return v == 1 and 1 or "x" end), 1, true)
        assert.matches("map: a function or a table expected, got number",
            err_of(c.map, c, 3), 1, true)
        assert.matches("map: unknown option 'na_actoin' (did you mean 'na_action'?)",
            err_of(c.map, c, tostring, {na_actoin = "ignore"}), 1, true)
    end)

    it("to_tensor gives a float32 [rows] tensor", function()
        local t = df.column({1, 2, 3}):to_tensor()
        assert.same({3}, t:shape())
        assert.same({1, 2, 3}, t:tolist())
        assert.matches("to_tensor: column 'c' row 3 is NA", err_of(c.to_tensor, c), 1, true)
    end)
end)

describe("Frame verbs vs pandas", function()
    local f = read("input.csv")
    it("melt", function()
        assert_frames(read("melt.csv"),
                      f:head(12):melt{id_vars = {"id", "day"}, value_vars = {"v", "n"}})
    end)

    it("pivot", function()
        local first = f:groupby{"id", "k2"}:agg{n = "first"}
        assert_frames(read("pivot.csv"),
                      first:pivot{index = "id", columns = "k2", values = "n"})
    end)

    for _, agg in ipairs({"mean", "sum", "count", "max"}) do
        it("pivot_table " .. agg, function()
            assert_frames(read("pivot_table_" .. agg .. ".csv"),
                f:pivot_table{index = "id", columns = "k2", values = "v", aggfunc = agg})
        end)
    end

    it("corr and cov", function()
        local num = f:select{"k2", "v", "n"}
        assert_frames(read("corr.csv"), num:corr())
        assert_frames(read("cov.csv"), num:cov())
        -- non-numeric columns are left out (pandas' numeric_only=True)
        assert.same({"column", "k2", "v", "n"}, f:corr():columns())
    end)

    it("nlargest and nsmallest", function()
        assert_frames(read("nlargest_v.csv"), f:nlargest(7, "v"))
        assert_frames(read("nsmallest_k2_n.csv"), f:nsmallest(9, {"k2", "n"}))
    end)

    it("groupby and value_counts drop NA keys unless dropna = false", function()
        local keyed = read("keyed.csv")
        assert_frames(read("groupby_dropna.csv"), keyed:groupby{"key"}:agg{v = "sum"})
        assert_frames(read("groupby_keepna.csv"),
                      keyed:groupby({"key"}, {dropna = false}):agg{v = "sum"})
        assert_frames(read("groupby_keepna.csv"),
                      keyed:groupby{"key", dropna = false}:agg{v = "sum"})
        assert.equal(3, #keyed:value_counts("key"))
        assert.equal(4, #keyed:value_counts("key", {dropna = false}))
        assert.equal(3, #keyed:groupby{"key"}:size())
    end)
end)

describe("Frame verbs without a pandas twin", function()
    local f = df.frame{{"b", {3, 1, 2, 5, 4}}, {"a", {"x", "y", "z", "w", "v"}}}
    it("samples n or a fraction, reproducibly by seed", function()
        local s1 = f:sample{n = 3, seed = 7}
        local s2 = f:sample{n = 3, seed = 7}
        assert.equal(3, #s1)
        assert.same(s1.b:to_table(), s2.b:to_table())
        local seen = {}
        for _, v in ipairs(s1.b:to_table()) do
            assert.is_nil(seen[v]); seen[v] = true
        end
        assert.equal(2, #f:sample{frac = 0.4, seed = 1})
        assert.equal(5, #f:sample{frac = 1, seed = 1})
        assert.equal(10, #f:sample{n = 10, replace = true, seed = 3})
        assert.equal(1, #f:sample{})
        assert.matches("sample: n = 6 is more than the 5 rows (give replace = true)",
                       err_of(f.sample, f, {n = 6}), 1, true)
        assert.matches("sample: give n or frac, not both",
                       err_of(f.sample, f, {n = 1, frac = 0.5}), 1, true)
    end)

    it("lists dtypes in column order", function()
        local names = {}
        for name, t in pairs(f:dtypes()) do names[#names + 1] = name .. "=" .. t end
        assert.same({"b=int", "a=string"}, names)
        assert.equal("b  int\na  string\n", tostring(f:dtypes()))
        assert.equal("int", f:dtypes().b)
    end)

    it("renames by function", function()
        local g = f:rename(function(n) if n == "a" then return "A" end end)
        assert.same({"b", "A"}, g:columns())
        assert.matches("rename: the function gave a number for column 'b'",
            err_of(f.rename, f, function() return 1 end), 1, true)
    end)

    it("melts every other column by default and names the outputs", function()
        local m = f:melt{id_vars = {"a"}, var_name = "k", value_name = "val"}
        assert.same({"a", "k", "val"}, m:columns())
        assert.equal(5, #m)
    end)

    it("refuses a duplicated pivot pair and missing options", function()
        local d = df.frame{{"i", {"a", "a"}}, {"c", {"x", "x"}}, {"v", {1, 2}}}
        assert.matches("pivot: index 'a' and column 'x' appear together twice "
                       .. "(use pivot_table to aggregate)",
                       err_of(d.pivot, d, {index = "i", columns = "c", values = "v"}), 1, true)
        assert.matches("pivot: option 'values' (a column name) is required",
                       err_of(d.pivot, d, {index = "i", columns = "c"}), 1, true)
        assert.matches("pivot_table: index, columns and values must be three different columns",
                       err_of(d.pivot_table, d, {index = "i", columns = "i", values = "v"}), 1, true)
        assert.matches("pivot: index, columns and values must be three different columns",
                       err_of(d.pivot, d, {index = "i", columns = "c", values = "c"}), 1, true)
        assert.matches("pivot: no column 'cc' (did you mean 'c'?)",
                       err_of(d.pivot, d, {index = "i", columns = "cc", values = "v"}), 1, true)
    end)
end)

describe("read_csv options vs pandas", function()
    it("knows pandas' default NA strings", function()
        local t = read("na_strings.csv")
        local want = read("na_strings_isna.csv").isna
        local isna = t.s:isna()
        assert_column(want, isna, "isna")
    end)

    it("parses dates in a format, or day first", function()
        local us = read("dates_us.csv", {parse_dates = {"d"}, date_format = "%m/%d/%Y"})
        assert.equal("date", us:dtypes().d)
        assert_column(read("dates_us_read.csv").d, us.d, "date_format")
        local eu = read("dates_eu.csv", {parse_dates = {"d"}, dayfirst = true})
        assert_column(read("dates_eu_read.csv").d, eu.d, "dayfirst")
        local f = assert(df.parse_csv("t\n03/15/2024 10:20\n",
            {parse_dates = {"t"}, date_format = "%m/%d/%Y %H:%M"}))
        assert.equal("datetime", f:dtypes().t)
        assert.equal("2024-03-15T10:20:00", f.t[1])
    end)

    it("turns unparseable values into NA with errors = 'coerce'", function()
        local got = read("coerce.csv", {dtype = {a = "float"}, parse_dates = {"d"},
                                        errors = "coerce"})
        assert_frames(read("coerce_read.csv"), got)
        local f, err = df.read_csv(DIR .. "coerce.csv", {dtype = {a = "float"}})
        assert.is_nil(f)
        assert.matches("coerce.csv:3: column 'a': cannot parse 'x' as float", err, 1, true)
        f, err = df.read_csv(DIR .. "dates_us.csv", {parse_dates = {"d"},
                                                     date_format = "%d.%m.%Y"})
        assert.is_nil(f)
        assert.matches("dates_us.csv:2: column 'd': cannot parse '03/15/2024' with "
                       .. "date_format '%d.%m.%Y'", err, 1, true)
    end)

    it("takes nrows, skiprows, usecols, dtype and na_values", function()
        local f = assert(df.parse_csv("junk\na,b,c\n1,2,3\n4,-,6\n7,8,9\n",
            {skiprows = 1, nrows = 2, usecols = {"c", "b"}, dtype = {c = "string"},
             na_values = {"-"}}))
        assert.same({"c", "b"}, f:columns())
        assert.equal(2, #f)
        assert.equal("string", f:dtypes().c)
        assert.is_nil(f.b[2])
        -- positions as pandas counts them, from 0
        f = assert(df.parse_csv("a,b,c\n1,2,3\n", {usecols = {2, 0}}))
        assert.same({"c", "a"}, f:columns())
        local g, err = df.parse_csv("a,b\n1,2\n", {usecols = {5}})
        assert.is_nil(g)
        assert.equal("<string>: usecols: no column 5 (the file has 2, counted from 0)", err)
    end)

    it("rejects unknown and conflicting options", function()
        assert.matches("read_csv: unknown option 'nrow' (did you mean 'nrows'?)",
                       err_of(df.read_csv, DIR .. "keyed.csv", {nrow = 2}), 1, true)
        assert.matches("parse_csv: unknown option 'colour'",
                       err_of(df.parse_csv, "a\n1\n", {colour = 2}), 1, true)
        assert.matches("options 'types' and 'dtype' mean the same: give one",
                       err_of(df.parse_csv, "a\n1\n", {types = {}, dtype = {}}), 1, true)
        assert.matches("option 'errors': \"raise\" or \"coerce\" expected, got 'ignore'",
                       err_of(df.parse_csv, "a\n1\n", {errors = "ignore"}), 1, true)
        assert.matches("options 'date_format' and 'dayfirst' apply to the columns "
                       .. "named in parse_dates",
                       err_of(df.parse_csv, "a\n1\n", {dayfirst = true}), 1, true)
        assert.matches("option 'date_format': '%Q' uses a directive other than",
                       err_of(df.parse_csv, "a\n1\n", {parse_dates = {"a"},
                                                       date_format = "%Q"}), 1, true)
    end)
end)

describe("unknown options across df", function()
    local f = df.frame{{"k", {"a", "b"}}, {"v", {1, 2}}}
    local cases = {
        {"join", function() return f:join(f, {on = "k", hwo = "left"}) end, "hwo", "how"},
        {"sort", function() return f:sort("k", {dsc = true}) end, "dsc", "desc"},
        {"dropna", function() return f:dropna{subst = {"k"}} end, "subst", "subset"},
        {"rolling", function() return f:rolling("v", 2, "mean", {min_period = 1}) end,
         "min_period", "min_periods"},
        {"lag", function() return f:lag("v", 1, {bye = "k"}) end, "bye", "by"},
        {"train_test_split", function() return f:train_test_split{tset = 0.5} end,
         "tset", "test"},
        {"to_tensor", function() return f:to_tensor{"v", categorcal = "codes"} end,
         "categorcal", "categorical"},
        {"value_counts", function() return f.k:value_counts{normalise = true} end,
         "normalise", "normalize"},
        {"clip", function() return f.v:clip{lowr = 1} end, "lowr", "lower"},
        {"melt", function() return f:melt{id_var = {"k"}} end, "id_var", "id_vars"},
        {"pivot_table", function()
            return f:pivot_table{index = "k", columns = "k", values = "v", agg = "sum"}
        end, "agg", "aggfunc"},
    }
    for _, c in ipairs(cases) do
        it(c[1], function()
            assert.matches(("%s: unknown option '%s' (did you mean '%s'?)"):format(
                c[1], c[3], c[4]), err_of(c[2]), 1, true)
        end)
    end
end)

describe("Column verbs misuse", function()
    local s = df.column({"a", "b"}, nil, "s")
    local n = df.column({1, 2}, nil, "n")
    it("names the column and what was wrong", function()
        assert.matches("column 's': cumsum: a string column has no numbers",
                       err_of(s.cumsum, s), 1, true)
        assert.matches("column 'n': str.replace: a int column has no strings",
                       err_of(function() return n.str:replace("a", "b") end), 1, true)
        assert.matches("column 'n': clip: lower 3 is above upper 1",
                       err_of(n.clip, n, 3, 1), 1, true)
        assert.matches("replace: column 's' (string) takes strings for strings, got number for number",
                       err_of(s.replace, s, 1, 2), 1, true)
        assert.matches("column 's': str.replace: empty pattern",
                       err_of(function() return s.str:replace("", "x") end), 1, true)
    end)
end)
