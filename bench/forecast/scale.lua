-- Thread scaling of forecast.fit: the monthly series of series.txt,
-- repeated to make a long frame, fitted with AutoETS on N threads.
-- Usage: lualab --lua scale.lua OUTDIR THREADS [COPIES]
local dir, threads, copies = arg[1], tonumber(arg[2]), tonumber(arg[3] or 4)
local ids, ts, ys = {}, {}, {}
local k = 0
for line in io.lines(dir .. "/series.txt") do
    local name, m, rest = line:match("^(%S+) (%d+) %d+ (.*)$")
    if tonumber(m) == 12 then
        for c = 1, copies do
            k = k + 1
            local i = 0
            for tok in rest:gmatch("%S+") do
                i = i + 1
                ids[#ids + 1] = k
                ts[#ts + 1] = i
                ys[#ys + 1] = tonumber(tok)
            end
        end
    end
end
local f = df.frame{{"id", ids}, {"t", ts}, {"y", ys}}
local fits = forecast.fit{data = f, target = "y", time = "t", series = "id",
                          model = forecast.AutoETS{season_length = 12},
                          threads = threads, on_error = "skip"}
print(string.format("%d series, %d threads: %s", k, threads, tostring(fits)))
