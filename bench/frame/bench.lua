-- lualab side of bench/frame: median of repeats, one thread.
-- Usage: lualab --lua bench.lua data.csv repeats [threads]
local path, R, threads = arg[1], tonumber(arg[2]), tonumber(arg[3] or "1")
local clock = os.clock
local function now()
    local p = io.popen("date +%s.%N"); local s = p:read("l"); p:close(); return tonumber(s)
end
local function med(fn)
    local ts, out = {}
    for i = 1, R do
        collectgarbage() collectgarbage()
        local t0 = now()
        out = fn()
        ts[i] = now() - t0
    end
    table.sort(ts)
    return ts[(R + 1) // 2], out
end
local _ = clock
local t, f = med(function() return assert(df.read_csv(path, {threads = threads})) end)
print(("read_csv %.4f %d"):format(t, #f))
if threads > 1 then return end
local x
t, x = med(function() return f:groupby{"id1"}:agg{v1 = "sum"} end)
print(("sum_by_id1 %.4f %d"):format(t, x.v1:sum()))
t, x = med(function() return f:groupby{"id1"}:agg{v3 = "mean"} end)
print(("mean_by_id1 %.4f %.6f"):format(t, x.v3:sum()))
t, x = med(function() return f:groupby{"id1", "id2"}:agg{v1 = "sum"} end)
print(("sum_by_id1_id2 %.4f %d"):format(t, #x))
t, x = med(function() return f:groupby{"id1", "id2"}:agg{v3 = "mean"} end)
print(("mean_by_id1_id2 %.4f %.6f"):format(t, x.v3:sum()))
t, x = med(function() return f:sort{"id4", "v3"} end)
print(("sort_id4_v3 %.4f %.6f"):format(t, x.v3[1] + x.v3[#x]))
t, x = med(function() return f:rolling("v3", 7, "mean", {by = "id1"}) end)
print(("rolling_mean7_by_id1 %.4f %.4f"):format(t, x:sum()))
