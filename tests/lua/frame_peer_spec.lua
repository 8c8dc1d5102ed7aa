-- groupby, join, windows and resample against pandas' answers, stored in
-- tests/fixtures/frame/ by tests/fixtures/make_frame.py.
local DIR = FIXTURES .. "/frame/"

local function read(name)
    return assert(df.read_csv(DIR .. name))
end

local function same_value(a, b)
    if a == nil or b == nil then return a == nil and b == nil end
    if type(a) == "number" and type(b) == "number" then
        return math.abs(a - b) <= 1e-9 * math.max(1, math.abs(a), math.abs(b))
    end
    return tostring(a) == tostring(b)
end

-- Compare two frames column by column (names and values).
local function assert_frames(want, got)
    assert.same(want:columns(), got:columns())
    assert.equals(#want, #got)
    for _, name in ipairs(want:columns()) do
        local w, g = want[name], got[name]
        for i = 1, #want do
            if not same_value(w[i], g[i]) then
                error(("column %s row %d: want %s, got %s"):format(
                    name, i, tostring(w[i]), tostring(g[i])))
            end
        end
    end
end

local f = read("input.csv")

describe("frame vs pandas", function()
    it("reads the generated input with the right types", function()
        assert.same({id = "category", day = "date", k2 = "int", v = "float", n = "int"},
                    f:dtypes())
    end)

    it("groupby one key, every aggregation", function()
        local got = f:groupby{"id"}:agg{
            {"v", "sum", name = "v_sum"}, {"v", "mean", name = "v_mean"},
            {"v", "min", name = "v_min"}, {"v", "max", name = "v_max"},
            {"v", "count", name = "v_count"}, {"v", "std", name = "v_std"},
            {"v", "var", name = "v_var"}, {"v", "median", name = "v_median"},
            {"v", "first", name = "v_first"}, {"v", "last", name = "v_last"},
            {"n", "nunique", name = "n_nunique"}}
        assert_frames(read("groupby_id.csv"), got)
    end)

    it("groupby two keys", function()
        local got = f:groupby{"id", "k2"}:agg{
            {"v", "sum", name = "v_sum"}, {"v", "mean", name = "v_mean"},
            {"n", "size", name = "n_size"}}
        assert_frames(read("groupby_id_k2.csv"), got)
    end)

    local right = read("right.csv")
    it("left join keeps the left order", function()
        assert_frames(read("join_left.csv"), f:join(right, {on = {"id", "k2"}, how = "left"}))
    end)
    for _, how in ipairs{"inner", "outer"} do
        it(how .. " join", function()
            local key = {"id", "k2", "day", "n_x"}
            local want = read("join_" .. how .. ".csv"):sort(key)
            local got = f:join(right, {on = {"id", "k2"}, how = how}):sort(key)
            assert_frames(want, got)
        end)
    end

    it("lag and rolling by group in time order", function()
        local by = {by = "id", order = "day"}
        local got = df.frame{
            {"roll_mean3", f:rolling("v", 3, "mean", {by = "id", order = "day", min_periods = 1})},
            {"lag1", f:lag("v", 1, by)},
            {"roll_std4", f:rolling("v", 4, "std", {by = "id", order = "day", min_periods = 2})},
            {"roll_max5", f:rolling("n", 5, "max", {by = "id", order = "day", min_periods = 5})}}
        assert_frames(read("windows.csv"), got)
    end)

    for _, rule in ipairs{"w", "m"} do
        it("resample by week/month: " .. rule, function()
            local got = f:resample("1" .. rule, {on = "day", by = "id",
                agg = {{"v", "sum", name = "v_sum"}, {"n", "mean", name = "n_mean"}}})
            assert_frames(read("resample_" .. rule .. ".csv"), got)
        end)
    end
end)

describe("CSV headers vs pandas", function()
    for line in io.lines(DIR .. "header_names.txt") do
        local header, rest = line:match("^([^\t]*)\t(.*)$")
        local want = {}
        for name in rest:gmatch("[^\t]+") do want[#want + 1] = name end
        it("names " .. header, function()
            local n = select(2, header:gsub(",", "")) + 1
            local row = {}
            for i = 1, n do row[i] = tostring(i - 1) end
            local got = assert(df.parse_csv(header .. "\n" .. table.concat(row, ",") .. "\n"))
            assert.same(want, got:columns())
            assert.equals(n, #got:columns())
            assert.equals(n - 1, got[got:columns()[n]][1])
        end)
    end

    it("reads the index pandas writes as Unnamed: 0", function()
        local got = assert(df.read_csv(DIR .. "with_index.csv"))
        assert.same({"Unnamed: 0", "a"}, got:columns())
        assert.same({0, 1, 2}, got["Unnamed: 0"]:to_table())
        assert.same({"a"}, got:drop("Unnamed: 0"):columns())
    end)

    it("describes text with NA as pandas", function()
        local want = read("describe_na.csv")
        local d = df.frame{s = {"x", df.NA, df.NA, df.NA, "y", "x", n = 6}}:describe()
        local got = {}
        for i = 1, #d do got[d.stat[i]] = d.s[i] end
        for i = 1, #want do
            assert.equals(tostring(want.s[i]), got[want.stat[i]])
        end
    end)
end)
