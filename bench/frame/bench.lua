-- lualab side of bench/frame: median of repeats of process CPU time (the
-- machine is shared, so CPU time is fairer than wall time; every op here
-- runs on one thread).  With a third argument only read_csv runs, timed by
-- the wall clock with that many threads.
-- Usage: lualab --lua bench.lua data.csv repeats [threads]
local path, R = arg[1], tonumber(arg[2])
local threads = tonumber(arg[3] or "1")
local wall = arg[3] ~= nil
local function now()
    if not wall then return os.clock() end
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
local t, f = med(function() return assert(df.read_csv(path, {threads = threads})) end)
print(("read_csv %.4f %d"):format(t, #f))
if wall then return end
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
