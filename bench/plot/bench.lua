-- lualab side of bench/plot/run.sh: prints "name seconds detail" lines.
local n, reps = tonumber(arg[1]) or 1000000, tonumber(arg[2]) or 5
local y = {}
for i = 1, n do
    y[i] = math.sin((i - 1) / 5000) + 0.1 * math.sin((i - 1) * 0.7)
end
local function median(t)
    table.sort(t)
    return t[(#t + 1) // 2]
end
local function time(name, f, detail)
    local ts = {}
    for _ = 1, reps do
        local t0 = os.clock()
        f()
        ts[#ts + 1] = os.clock() - t0
    end
    print(name, string.format("%.4f", median(ts)), detail or "")
end
local lo, hi = math.huge, -math.huge
for i = 1, n do
    lo = math.min(lo, y[i]); hi = math.max(hi, y[i])
end
local p
time("line_build", function() p = plot.line{y = y} end)
time("line_text", function() p:text{width = 100, height = 30} end,
     string.format("range=%.6f,%.6f", lo, hi))
time("line_svg", function() p:svg() end)
local h
time("hist_build", function() h = plot.hist{y = y} end)
local svg = h:svg()
local _, bars = svg:match('<g class="series".-</g>'):gsub("<rect", "")
time("hist_text", function() h:text{width = 100, height = 30} end,
     "bins=" .. bars)
time("hist_svg", function() h:svg() end)
