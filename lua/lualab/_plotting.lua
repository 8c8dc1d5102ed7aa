-- Charts straight from a Frame or a Tensor: f:plot{...} and t:plot{...}
-- build the chart description from columns or rows and hand it to the plot
-- module, so a learner need not pull the data out first.
local raise = require("lualab._args").raise
local M = {}

local kinds = {line = true, scatter = true, bar = true, barh = true, hist = true}

local function copy_opts(opts, skip)
    local out = {}
    for k, v in pairs(opts) do
        if not skip[k] then out[k] = v end
    end
    return out
end

local function names_of(y)
    if type(y) == "string" then return {y} end
    return y
end

-- f:plot{y = "a" | {"a", "b"}, x = "Date", kind = "line", ...plot options}
-- Without y, every numeric column but x is drawn.
function M.frame(f, opts)
    opts = opts or {}
    if type(opts) ~= "table" then
        raise("plot: options table expected, got " .. type(opts))
    end
    local kind = opts.kind or "line"
    if not kinds[kind] then
        raise("plot: unknown kind '" .. tostring(kind) ..
              "' (line, scatter, bar, barh, hist)")
    end
    local plot = require("lualab.plot")
    local ys = names_of(opts.y)
    if not ys then
        ys = {}
        local dtypes = f:dtypes()
        for _, name in ipairs(f:columns()) do
            local t = dtypes[name]
            if name ~= opts.x and (t == "int" or t == "float" or t == "bool") then
                ys[#ys + 1] = name
            end
        end
        if #ys == 0 then raise("plot: no numeric column to draw") end
    end
    local args = copy_opts(opts, {kind = true, x = true, y = true})
    if kind == "hist" then
        args.y = f[ys[1]]
        args.xlabel = args.xlabel or ys[1]
        return plot.hist(args)
    end
    if kind == "bar" or kind == "barh" then
        args.labels = opts.x and f[opts.x]:to_table() or nil
        args.values = f[ys[1]]:to_table()
        if not args.labels then
            args.labels = {}
            for i = 1, #args.values do args.labels[i] = tostring(i) end
        end
        return plot[kind](args)
    end
    if opts.x then
        args.x = f[opts.x]
        args.xlabel = args.xlabel or opts.x
    end
    if #ys == 1 then
        args.y = f[ys[1]]
        args.ylabel = args.ylabel or ys[1]
    else
        args.series = {}
        for i, name in ipairs(ys) do args.series[i] = {name = name, y = f[name]} end
    end
    return plot[kind](args)
end

-- t:plot{...}: a 1-D tensor is one series; a 2-D [n, k] tensor k series.
function M.tensor(t, opts)
    opts = opts or {}
    local plot = require("lualab.plot")
    local shape = t:shape()
    local args = copy_opts(opts, {kind = true, names = true})
    local kind = opts.kind or "line"
    if kind == "hist" then
        args.y = t:reshape({-1}):tolist()
        return plot.hist(args)
    end
    if #shape == 1 then
        args.y = t:tolist()
    elseif #shape == 2 then
        local rows = t:tolist()
        args.series = {}
        for j = 1, shape[2] do
            local ys = {}
            for i = 1, shape[1] do ys[i] = rows[i][j] end
            args.series[j] = {name = (opts.names and opts.names[j]) or ("col " .. (j - 1)), y = ys}
        end
    else
        raise("plot: a 1-D or 2-D tensor expected, got " .. #shape .. "-D")
    end
    if not kinds[kind] or kind == "bar" or kind == "barh" then
        raise("plot: kind '" .. tostring(kind) .. "' is not for tensors (line, scatter, hist)")
    end
    return plot[kind](args)
end

return M
