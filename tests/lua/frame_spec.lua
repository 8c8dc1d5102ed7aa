-- The df module: CSV reading (the edge-case corpus), writing, verbs,
-- display and misuse errors.
local CSV = FIXTURES .. "/csv/"

local function types_of(f)
    local dt, t = f:dtypes(), {}
    for _, n in ipairs(f:columns()) do t[#t + 1] = n .. "=" .. dt[n] end
    return table.concat(t, " ")
end

local function tmpname()
    local p = os.tmpname()
    os.remove(p)
    return p .. ".csv"
end

describe("df.read_csv corpus", function()
    local cases = dofile(CSV .. "cases.lua")
    for i, c in ipairs(cases) do
        it(("case %d: %s%s"):format(i, c.file, c.opts and " (opts)" or ""), function()
            local f, err = df.read_csv(CSV .. c.file, c.opts)
            if c.error then
                assert.is_nil(f)
                assert.equals(c.error, err:sub(-#c.error))
                assert.equals(CSV .. c.file, err:sub(1, #CSV + #c.file))
            else
                assert.is_not_nil(f, err)
                assert.equals(c.types, types_of(f))
                assert.equals(c.csv, f:to_csv())
            end
        end)
    end

    it("reads a huge field", function()
        local big = string.rep("x", 300000)
        local f = assert(df.parse_csv('a,b\n1,"' .. big .. '"\n2,y\n'))
        assert.equals(300000, #f.b[1])
        assert.equals("y", f.b[2])
    end)

    it("reads a 10k-column header", function()
        local names, vals = {}, {}
        for i = 1, 10000 do names[i] = "c" .. i; vals[i] = tostring(i) end
        local f = assert(df.parse_csv(table.concat(names, ",") .. "\n" .. table.concat(vals, ",") .. "\n"))
        local rows, cols = f:shape()
        assert.equals(1, rows)
        assert.equals(10000, cols)
        assert.equals(10000, f.c10000[1])
    end)

    it("widens int to float to string past the sample", function()
        local lines = {"v"}
        for i = 1, 300000 do lines[#lines + 1] = tostring(i) end
        lines[#lines + 1] = "2.5"
        local f = assert(df.parse_csv(table.concat(lines, "\n") .. "\n", {strings = "string"}))
        assert.equals("float", f.v:dtype())
        assert.equals(2.5, f.v[300001])
        lines[#lines + 1] = "oops"
        f = assert(df.parse_csv(table.concat(lines, "\n") .. "\n", {strings = "string"}))
        assert.equals("string", f.v:dtype())
        assert.equals("7", f.v[7])
        assert.equals("oops", f.v[300002])
    end)

    it("reads the same frame with 2 threads, errors naming the same line", function()
        local lines = {"id,name,x,note"}
        for i = 1, 60000 do
            local note = (i % 997 == 0) and '"multi\nline, ""quoted"""' or ((i % 13 == 0) and "" or "n" .. (i % 50))
            local x = (i == 59000) and "0.5" or tostring(i % 1000)
            lines[#lines + 1] = ("%d,%s,%s,%s"):format(i, "name" .. (i % 7), x, note)
        end
        local path = tmpname()
        local fh = io.open(path, "w")
        fh:write(table.concat(lines, "\n"), "\n")
        fh:close()
        local one = assert(df.read_csv(path, {threads = 1}))
        local two = assert(df.read_csv(path, {threads = 2}))
        assert.equals(types_of(one), types_of(two))
        assert.equals("float", two.x:dtype())
        assert.equals(60000, #two)
        assert.equals(one:to_csv(), two:to_csv())
        lines[50001] = lines[50001] .. ",extra"
        fh = io.open(path, "w")
        fh:write(table.concat(lines, "\n"), "\n")
        fh:close()
        local _, e1 = df.read_csv(path, {threads = 1})
        local _, e2 = df.read_csv(path, {threads = 2})
        os.remove(path)
        assert.equals(e1, e2)
        assert.matches(":50051: expected 4 fields, found 5$", e2)
    end)

    it("codes a category of many distinct keys in file order, skipping bad rows", function()
        -- 12000 distinct keys: past the size where codes are looked up in
        -- batches; bad rows in the middle of a batch are dropped from it
        local lines, want = {"k,v,pad"}, {}
        for i = 1, 60000 do
            local k = "key" .. (i * 7919 % 12000)
            if i == 30001 then
                lines[#lines + 1] = k .. ",1"
            elseif i == 30017 then
                lines[#lines + 1] = k .. ",1,p,extra"
            else
                lines[#lines + 1] = ("%s,%d,padding-padding"):format(k, i)
                want[#want + 1] = k
            end
        end
        local path = tmpname()
        local fh = io.open(path, "w")
        fh:write(table.concat(lines, "\n"), "\n")
        fh:close()
        local one = assert(df.read_csv(path, {threads = 1, on_bad_lines = "skip"}))
        local two = assert(df.read_csv(path, {threads = 2, on_bad_lines = "skip"}))
        os.remove(path)
        assert.equals("category", one.k:dtype())
        assert.equals(59998, #one)
        assert.equals(12000, one.k:nunique())
        local got = one.k:to_table()
        for i = 1, #want do
            if got[i] ~= want[i] then
                assert.equals(want[i], got[i], "row " .. i)
            end
        end
        assert.equals(one:to_csv(), two:to_csv())
    end)

    it("returns nil, message for a missing file", function()
        local f, err = df.read_csv("no/such/file.csv")
        assert.is_nil(f)
        assert.equals("no/such/file.csv: No such file or directory", err)
    end)

    it("rejects a bad option with the key named", function()
        local ok, err = pcall(df.read_csv, CSV .. "crlf.csv", {on_bad_lines = "ignore"})
        assert.is_false(ok)
        assert.matches([[option 'on_bad_lines': "error", "warn" or "skip" expected, got 'ignore']], err, 1, true)
        ok, err = pcall(df.read_csv, CSV .. "crlf.csv", {types = {a = "integer"}})
        assert.matches("option 'types': unknown type 'integer' for column 'a'", err, 1, true)
    end)

    it("parses dates on request and errors on non-dates", function()
        local f = assert(df.parse_csv("d\n2024-03-01\n\n", {parse_dates = {"d"}}))
        assert.equals("date", f.d:dtype())
        local g, err = df.parse_csv("d\n2024-03-01\nsoon\n", {parse_dates = {"d"}})
        assert.is_nil(g)
        assert.equals("<string>:3: column 'd': cannot parse 'soon' as a date", err)
    end)
end)

describe("write_csv", function()
    it("round-trips every type exactly", function()
        local f = assert(df.parse_csv(
            "b,i,x,s,c,d,t\n" ..
            "true,-9007199254740993,0.1,\"he said \"\"x, y\"\"\",u,1999-12-31,2024-01-02T03:04:05.678\n" ..
            "false,42,1e-300,\" pad \",u,,2024-01-02T00:00:00\n" ..
            ",,,\"\",u,2024-02-29,\n",
            {types = {s = "string"}}))
        f = f:mutate{y = f.x / 3}
        local path = tmpname()
        assert.is_true(f:write_csv(path))
        local g = assert(df.read_csv(path, {types = {s = "string"}}))
        os.remove(path)
        assert.equals(types_of(f), types_of(g))
        for _, name in ipairs(f:columns()) do
            for i = 1, #f do
                assert.equals(f[name][i], g[name][i])
            end
        end
        assert.equals(0.1 / 3, g.y[1])
        assert.equals(1e-300, g.x[2])
        assert.equals(-9007199254740993, g.i[1])
        assert.equals("", g.s[3])
        assert.equals(" pad ", g.s[2])
    end)

    it("fails with nil, message on an unwritable path", function()
        local f = df.frame{a = {1}}
        local ok, err = f:write_csv("/nonexistent-dir/x.csv")
        assert.is_nil(ok)
        assert.matches("/nonexistent-dir/x.csv", err, 1, true)
    end)
end)

describe("Frame basics", function()
    local f = assert(df.parse_csv(
        "Battery_ID,Date,Daily_Cycles_Used,Daily_Trip_Duration\n" ..
        "0,2024-01-01,1.5,40\n0,2024-01-02,2.5,60\n1,2024-01-01,,70\n" ..
        "1,2024-01-03,4.0,55\n2,2024-01-02,0.5,10\n",
        {types = {Battery_ID = "category"}}))

    it("has shape, columns, dtypes and length", function()
        local r, c = f:shape()
        assert.same({5, 4}, {r, c})
        assert.equals(5, #f)
        assert.same({"Battery_ID", "Date", "Daily_Cycles_Used", "Daily_Trip_Duration"}, f:columns())
        assert.same({Battery_ID = "category", Date = "date", Daily_Cycles_Used = "float",
                     Daily_Trip_Duration = "int"}, f:dtypes())
    end)

    it("gives values by 1-based index with nil for NA", function()
        assert.equals("0", f.Battery_ID[1])
        assert.equals("2024-01-02", f.Date[2])
        assert.is_nil(f.Daily_Cycles_Used[3])
        assert.equals(math.type(f.Daily_Trip_Duration[1]), "integer")
        assert.equals(f["Daily_Trip_Duration"][5], 10)
        local t = f.Daily_Cycles_Used:to_table()
        assert.equals(5, #t)
        assert.is_true(t[3] ~= t[3])
    end)

    it("reduces columns skipping NA", function()
        local c = f.Daily_Cycles_Used
        assert.equals(8.5, c:sum())
        assert.equals(2.125, c:mean())
        assert.equals(4, c:count())
        assert.equals(0.5, c:min())
        assert.equals(4.0, c:max())
        assert.equals(2.0, c:median())
        assert.near(1.4930394, c:std(), 1e-6)
        assert.near(2.2291667, c:var(), 1e-6)
        assert.equals(2.875, c:quantile(0.75))
        assert.equals(3, f.Battery_ID:nunique())
        assert.equals(235, f.Daily_Trip_Duration:sum())
        assert.equals("2024-01-03", f.Date:max())
    end)

    it("does NA-propagating arithmetic", function()
        local r = f.Daily_Cycles_Used / f.Daily_Trip_Duration
        assert.equals(1.5 / 40, r[1])
        assert.is_nil(r[3])
        assert.equals(80, (f.Daily_Trip_Duration * 2)[1])
        assert.equals(-40, (-f.Daily_Trip_Duration)[1])
        assert.equals(60, (100 - f.Daily_Trip_Duration)[1])
        assert.equals(1, (f.Daily_Trip_Duration % 3)[1])
        assert.equals("int", (f.Daily_Trip_Duration + 1):dtype())
        assert.equals("float", (f.Daily_Trip_Duration / 2):dtype())
    end)

    it("combines masks and filters by mask, expression and function", function()
        local m = f.Battery_ID:eq("0") & f.Daily_Trip_Duration:gt(50)
        assert.equals(1, #f:filter(m))
        assert.equals(60, f:filter(m).Daily_Trip_Duration[1])
        local e = f:filter("Battery_ID == '0' and Daily_Trip_Duration > 50")
        assert.equals(1, #e)
        assert.equals(4, #f:filter(~(f.Daily_Trip_Duration:lt(20))))
        assert.equals(4, #f:filter(f.Daily_Trip_Duration:between(40, 60) | f.Daily_Cycles_Used:isna()))
        assert.equals(1, #f:filter("isna(Daily_Cycles_Used)"))
        assert.equals(3, #f:filter("abs(Daily_Trip_Duration - 50) <= 10 and not isna(Daily_Cycles_Used)"))
        assert.equals(2, #f:filter(function(r) return r.Daily_Trip_Duration >= 60 end))
        assert.equals(2, #f:filter(f.Battery_ID:isin{"1"}))
        assert.equals(2, #f:filter(f.Date:gt("2024-01-01")) - 1)
    end)

    it("selects, drops, renames and mutates", function()
        assert.same({"Date", "Battery_ID"}, f:select{"Date", "Battery_ID"}:columns())
        assert.same({"Battery_ID", "Date"}, f:drop{"Daily_Cycles_Used", "Daily_Trip_Duration"}:columns())
        assert.same({"id", "Date", "Daily_Cycles_Used", "Daily_Trip_Duration"}, f:rename{Battery_ID = "id"}:columns())
        local g = f:mutate{ratio = f.Daily_Cycles_Used / f.Daily_Trip_Duration, one = 1}
        assert.equals(6, select(2, g:shape()))
        assert.equals(1, g.one[5])
        assert.equals(0.05, g.ratio[5])
        assert.equals(4, select(2, f:shape()))
    end)

    it("sorts by several keys, desc, NA last, stably", function()
        local s = f:sort{{"Daily_Cycles_Used", desc = true}}
        assert.same({4.0, 2.5, 1.5, 0.5}, {s.Daily_Cycles_Used[1], s.Daily_Cycles_Used[2],
                                          s.Daily_Cycles_Used[3], s.Daily_Cycles_Used[4]})
        assert.is_nil(s.Daily_Cycles_Used[5])
        local s2 = f:sort{"Date", {"Battery_ID", desc = true}}
        assert.same({"1", "0", "2", "0", "1"}, s2.Battery_ID:to_table())
        local g = df.frame{{"k", {2, 1, 2, 1}}, {"v", {"a", "b", "c", "d"}}}
        assert.same({"b", "d", "a", "c"}, g:sort("k").v:to_table())
    end)

    it("does string and date methods", function()
        local s = df.column({"  Ab ", "cD", df.NA}, "string")
        assert.same({"  ab ", "cd"}, {s:lower()[1], s:lower()[2]})
        assert.equals("AB", s:strip():upper()[1])
        assert.equals(5, s:len()[1])
        assert.is_true(s:contains("D")[2])
        assert.is_false(s:contains("D")[3])
        assert.is_true(s:strip():startswith("A")[1])
        local parts = df.column({"a-b", "c", df.NA}, "string"):split("-")
        assert.equals(2, #parts)
        assert.equals("b", parts[2][1])
        assert.is_nil(parts[2][2])
        local d = df.column({"2024-12-30", "2021-01-03", "2024-05-15"}, "date")
        assert.same({2024, 2021, 2024}, d:year():to_table())
        assert.same({12, 1, 5}, d:month():to_table())
        assert.same({30, 3, 15}, d:day():to_table())
        assert.same({0, 6, 2}, d:dayofweek():to_table())
        assert.same({365, 3, 136}, d:dayofyear():to_table())
        assert.same({4, 1, 2}, d:quarter():to_table())
        assert.same({1, 53, 20}, d:week():to_table())
    end)

    it("describes numbers and strings", function()
        local d = f:describe()
        assert.same({"count", "mean", "std", "min", "25%", "50%", "75%", "max", "unique", "top", "freq"},
                    d.stat:to_table())
        assert.equals(4, d.Daily_Cycles_Used[1])
        assert.equals(2.125, d.Daily_Cycles_Used[2])
        assert.equals(2.875, d.Daily_Cycles_Used[7])
        assert.equals("3", d.Battery_ID[9])
        assert.equals("0", d.Battery_ID[10])
        assert.equals("2", d.Battery_ID[11])
        assert.equals("5", d.Date[1])
        assert.equals("2024-01-01", d.Date[4])
        assert.equals("2024-01-03", d.Date[8])
        -- numbers only: no unique/top/freq rows, as pandas
        local dn = f:select{"Daily_Cycles_Used"}:describe()
        assert.same({"count", "mean", "std", "min", "25%", "50%", "75%", "max"},
                    dn.stat:to_table())
    end)

    it("iterates rows and gets one row", function()
        local n = 0
        for i, r in f:rows() do
            n = n + 1
            assert.equals(i, n)
            assert.is_table(r)
        end
        assert.equals(5, n)
        assert.same({Battery_ID = "1", Date = "2024-01-01", Daily_Trip_Duration = 70}, f:row(3))
        assert.equals(55, f[4].Daily_Trip_Duration)
    end)

    it("heads and tails share columns", function()
        assert.equals(2, #f:head(2))
        assert.equals("2024-01-02", f:tail(1).Date[1])
        assert.equals(5, #f:head(100))
    end)
end)

describe("more verbs", function()
    local f = df.frame{{"k", {"a", "b", "a", "c", "b"}}, {"v", {1, df.NA, 3, 4, df.NA}, n = 5},
                       {"s", {"x", df.NA, "y", "z", "w"}}}
    it("fills and drops NA", function()
        assert.same({1, 0, 3, 4, 0}, f:fillna(0).v:to_table())
        assert.same({"x", "?", "y", "z", "w"}, f:fillna{s = "?"}.s:to_table())
        assert.equals(3, #f:dropna())
        assert.equals(3, #f:dropna{subset = {"v"}})
        local ff = f:fillna("ffill")
        assert.same({1, 1, 3, 4, 4}, ff.v:to_table())
        local bg = f:fillna("bfill", {by = "k"})
        assert.is_nil(bg.v[2])
        assert.equals(1, bg.v[1])
        local ok, err = pcall(f.fillna, f, {zz = 1})
        assert.matches("fillna: no column 'zz'", err, 1, true)
    end)
    it("concatenates, uniques and counts", function()
        local c = f:concat(df.frame{k = {"d"}, extra = {true}})
        assert.equals(6, #c)
        assert.is_nil(c.v[6])
        assert.is_nil(c.extra[1])
        assert.is_true(c.extra[6])
        assert.same({"a", "b", "c"}, f:unique{"k"}.k:to_table())
        local vc = f:value_counts("k")
        assert.same({"a", "b", "c"}, vc.k:to_table())
        assert.same({2, 2, 1}, vc.count:to_table())
        assert.equals(10, #df.concat{f, f})
    end)
    it("leads, casts and splits", function()
        local l1 = f:lead("v")
        assert.is_nil(l1[1])
        assert.equals(3, l1[2])
        assert.equals(4, l1[3])
        assert.is_nil(l1[5])
        local lead = f:lead("v", 1, {by = "k"})
        assert.equals(3, lead[1])
        assert.is_nil(lead[3])
        local a = f:astype{v = "string"}
        assert.equals("string", a.v:dtype())
        assert.equals("3", a.v[3])
        local ok, err = pcall(f.astype, df.frame{x = {"1", "q"}}, {x = "int"})
        assert.matches("astype: column 'x': row 2: cannot convert 'q' to int", err, 1, true)
        local big = {}
        for i = 1, 100 do big[i] = i end
        local g = df.frame{i = big}
        local tr, te = g:train_test_split{test = 0.2, seed = 42}
        assert.equals(80, #tr)
        assert.equals(20, #te)
        local tr2, te2 = g:train_test_split{test = 0.2, seed = 42}
        assert.same(te.i:to_table(), te2.i:to_table())
        assert.equals(5050, tr.i:sum() + te.i:sum())
        local past, future = g:sort{{"i", desc = true}}:train_test_split{test = 0.25, time = "i"}
        assert.equals(75, past.i:max())
        assert.equals(76, future.i:min())
        ok, err = pcall(g.train_test_split, g, {test = 1.5})
        assert.matches("train_test_split: test must be in (0, 1), got 1.5", err, 1, true)
    end)
    it("resamples by day and joins right", function()
        local d = df.parse_csv("day,v\n2024-01-01,1\n2024-01-03,2\n2024-01-03,5\n")
        local r = d:resample("1d", {on = "day", agg = {v = "sum"}})
        assert.same({"2024-01-01", "2024-01-02", "2024-01-03"}, r.day:to_table())
        assert.same({1, 0, 7}, r.v:to_table())
        local left = df.frame{k = {1, 2}, x = {"p", "q"}}
        local right = df.frame{k = {2, 3, 2}, y = {10, 30, 20}}
        local j = left:join(right, {on = "k", how = "right"})
        assert.same({"k", "x", "y"}, j:columns())
        assert.same({2, 3, 2}, j.k:to_table())
        assert.same({10, 30, 20}, j.y:to_table())
        assert.is_nil(j.x[2])
        local ok, err = pcall(left.join, left, right, {on = "kk"})
        assert.matches("join: left frame: no column 'kk' (did you mean 'k'?)", err, 1, true)
        ok, err = pcall(d.resample, d, "1q", {on = "day", agg = {v = "sum"}})
        assert.matches("resample: rule must be like '1d', '7d', '1w' or '1m', got '1q'", err, 1, true)
    end)
end)

describe("windows by group", function()
    it("gives the same rolling values with and without an explicit order", function()
        local g, v, idx = {}, {}, {}
        for i = 1, 5000 do
            g[i] = "g" .. (i * 7919 % 13)
            v[i] = (i % 17 == 0) and df.NA or ((i * 31) % 101) / 7
            idx[i] = i
        end
        local f = df.frame{g = g, v = df.column(v, "float"), i = idx}
        for _, fn in ipairs{"mean", "sum", "min", "max", "std", "var", "count"} do
            local a = f:rolling("v", 5, fn, {by = "g", min_periods = 2})
            local b = f:rolling("v", 5, fn, {by = "g", order = "i", min_periods = 2})
            for i = 1, #f do
                local x, y = a[i], b[i]
                assert.is_true((x == nil and y == nil) or math.abs(x - y) < 1e-9, fn .. " row " .. i)
            end
        end
        local lag = f:lag("v", 2, {by = "g"})
        -- rows 1, 14, 27, ... share a group: lag 2 of row 27 is row 1
        assert.equals(31 / 7, lag[27])
        assert.equals(f.v[14], lag[40])
        assert.is_nil(lag[14])
    end)
end)

describe("to_tensor", function()
    local f = df.frame{{"a", {1, 2, 3}}, {"c", {"x", "y", "x"}}, {"b", {true, false, true}},
                       {"d", df.column({"1970-01-02", "1970-01-03", "1970-01-01"}, "date")}}
    it("gives a float32 [rows, features] tensor with category codes", function()
        local t = f:to_tensor{"a", "c", "b", "d"}
        assert.same({3, 4}, t:shape())
        assert.same({{1, 0, 1, 1}, {2, 1, 0, 2}, {3, 0, 1, 0}}, t:tolist())
    end)
    it("expands categories one-hot", function()
        local t = f:to_tensor{"c", "a", categorical = "onehot"}
        assert.same({{1, 0, 1}, {0, 1, 2}, {1, 0, 3}}, t:tolist())
    end)
    it("refuses NA and bad options", function()
        local ok, err = pcall(f.to_tensor, df.frame{a = {1, df.NA}}, {"a"})
        assert.is_false(ok)
        assert.matches("to_tensor: column 'a' row 2 is NA", err, 1, true)
        ok, err = pcall(f.to_tensor, df.frame{a = {1, 0 / 0}}, {"a"})
        assert.matches("to_tensor: column 'a' row 2 is NA", err, 1, true)
        ok, err = pcall(f.to_tensor, f, {"a", dtype = "float64"})
        assert.matches([[to_tensor: dtype must be "float32", got 'float64']], err, 1, true)
        ok, err = pcall(f.to_tensor, f, {"cc"})
        assert.matches("to_tensor: no column 'cc' (did you mean 'c'?)", err, 1, true)
    end)
end)

describe("df.NA", function()
    it("prints and displays as NA", function()
        assert.equals("NA", tostring(df.NA))
        -- display falls back to __tostring, then __name
        assert.equals("NA", getmetatable(df.NA).__name or "")
        assert.equals(df.NA, df.NA)
        local c = df.column({1, df.NA, 3}, "int")
        assert.is_true(c:isna()[2])
        assert.is_nil(c[2])
    end)
    it("is the only userdata a column takes as missing", function()
        local ok, err = pcall(df.column, {1, io.stdout})
        assert.is_false(ok)
        assert.matches("item 2: boolean, number or string expected, got userdata", err, 1, true)
    end)
end)

describe("describe with NA", function()
    it("counts no NA among the unique values", function()
        local d = df.frame{s = {"x", df.NA, df.NA, df.NA, "y", "x", n = 6}}:describe()
        assert.equals("3", d.s[1])
        assert.equals("2", d.s[9])
        assert.equals("x", d.s[10])
        assert.equals("2", d.s[11])
    end)
    it("handles integers spanning the full 64-bit range with NA", function()
        local f = df.frame{i = {math.mininteger, df.NA, math.maxinteger, 5, n = 4}}
        local d = f:describe()
        assert.equals(3, d.i[1])
        assert.equals(5, d.i[6])
        assert.same({math.mininteger, 5, math.maxinteger}, f:sort("i"):head(3).i:to_table())
    end)
end)

describe("display", function()
    it("shows names, types, right-aligned numbers and NA", function()
        local f = df.frame{{"name", {"a", "bb"}}, {"x", {1.5, df.NA}, n = 2}}
        assert.equals(
            "   name         x\n" ..
            "   <str>  <float>\n" ..
            "1  a          1.5\n" ..
            "2  bb          NA\n" ..
            "[2 rows x 2 columns]", tostring(f))
    end)

    it("elides long frames in the middle with the shape underneath", function()
        local v = {}
        for i = 1, 100 do v[i] = i end
        local s = getmetatable(df.frame{v = v}).__display(df.frame{v = v}, {width = 40, height = 12})
        local lines = {}
        for l in s:gmatch("[^\n]+") do lines[#lines + 1] = l end
        assert.equals(2 + 8 + 1 + 1, #lines)
        assert.matches("^%.%.%.", lines[7])
        assert.equals("[100 rows x 1 columns]", lines[#lines])
        assert.matches("^100 ", lines[#lines - 1])
    end)

    it("fits the width and counts hidden columns", function()
        local cols = {}
        for i = 1, 30 do cols[#cols + 1] = {("column_%02d"):format(i), {i}} end
        local f = df.frame(cols)
        local s = getmetatable(f).__display(f, {width = 60})
        for l in s:gmatch("[^\n]+") do assert.is_true(#l <= 60, l) end
        assert.matches("%[1 rows x 30 columns%] %(%d+ not shown%)", s)
    end)
end)

describe("misuse", function()
    local f = df.frame{Daily_Cycles_Used = {1, 2}, Battery_ID = {0, 1}}
    it("names the column with a suggestion", function()
        local ok, err = pcall(function() return f.Dailly_Cycles end)
        assert.is_false(ok)
        assert.matches("no column 'Dailly_Cycles' (did you mean 'Daily_Cycles_Used'?)", err, 1, true)
        ok, err = pcall(f.select, f, {"Battery"})
        assert.matches("no column 'Battery' (did you mean 'Battery_ID'?)", err, 1, true)
        ok, err = pcall(f.filter, f, "Batery_ID > 0")
        assert.matches("no column 'Batery_ID' (did you mean 'Battery_ID'?)", err, 1, true)
    end)
    it("names the shapes", function()
        local g = df.frame{x = {1, 2, 3}}
        local ok, err = pcall(function() return f.Battery_ID + g.x end)
        assert.matches("column 'Battery_ID': columns of different lengths (2 and 3)", err, 1, true)
        ok, err = pcall(f.filter, f, g.x:gt(1))
        assert.matches("filter: mask has 3 rows, the frame has 2", err, 1, true)
        ok, err = pcall(f.mutate, f, {x = g.x})
        assert.matches("column 'x' has 3 rows, the frame has 2", err, 1, true)
    end)
    it("rejects bad expressions and types", function()
        local ok, err = pcall(f.filter, f, "Battery_ID > (1")
        assert.matches("expression 'Battery_ID > (1': expected ')' at position 16", err, 1, true)
        ok, err = pcall(function() return df.column({"a"}) + 1 end)
        assert.matches("cannot apply '+' to string and int", err, 1, true)
        ok, err = pcall(function() return df.column({"a"}):mean() end)
        assert.matches("mean() needs a numeric column, got string", err, 1, true)
    end)
end)
