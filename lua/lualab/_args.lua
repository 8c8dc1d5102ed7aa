-- lualab._args: Lua's one-table call for constructors.
--
-- Keras' Dense(1, activation="sigmoid") reads in Lua as
-- Dense(1, {activation = "sigmoid"}) or, with one table, as
-- Dense{1, activation = "sigmoid"}.  split() turns the one-table form into
-- the positional one: the table's array entries (or the entries named
-- after the positions) become the leading arguments and the rest the
-- options table, so a constructor has one code path for both forms.
local A = {}

-- split(where, names, a1, ..., an, opts) -> a1, ..., an, opts
-- When a1 is a plain table (no metatable) and nothing follows it, it is
-- read as {a1, ..., an, key = value...}; otherwise the arguments are
-- returned as given.  `level` is the error level that names the
-- constructor's caller from the constructor (usually 2).
function A.split(where, names, level, ...)
    local n = #names
    local first = ...
    if type(first) ~= "table" or getmetatable(first) ~= nil then
        return ...
    end
    for i = 2, select("#", ...) do
        if select(i, ...) ~= nil then return ... end
    end
    local t = first
    local opts = {}
    for k, v in pairs(t) do
        if math.type(k) == "integer" then
            if k < 1 or k > n then
                if n == 0 then
                    error(string.format("%s: takes no positional arguments, got one at [%d]",
                        where, k), level + 1)
                end
                error(string.format("%s: too many positional arguments (at most %d: %s)",
                    where, n, table.concat(names, ", ")), level + 1)
            end
        else
            opts[k] = v
        end
    end
    local args = {}
    for i, name in ipairs(names) do
        local v = t[i]
        if v ~= nil and t[name] ~= nil then
            error(string.format("%s: '%s' given both by position and by name", where, name), level + 1)
        end
        if v == nil then v = t[name] end
        opts[name] = nil
        args[i] = v
    end
    args[n + 1] = opts
    return table.unpack(args, 1, n + 1)
end

-- check_opts(fname, opts, known [, level]) -> opts (a new table for nil):
-- the one option check of nn, keras, plot and mlflow, raising
-- "fname: unknown option 'titel' (did you mean 'title'?)" at the caller
-- `level` (as error()'s level, counted from the function that calls
-- check_opts; default 2, that function's caller).  known is a list or a set of names.
function A.check_opts(fname, opts, known, level)
    level = level or 2
    if lualab and lualab.check_opts then
        local checked = lualab.check_opts(fname, opts, known, level + 1)
        return checked -- not a tail call: the levels count this frame
    end
    if opts == nil then return {} end
    return opts
end

-- user_level() -> the level, for error() in the function that calls
-- user_level, of the nearest caller outside lualab's own Lua files
-- (lua/lualab/...): a caller's mistake found however deep inside lualab
-- names the caller's chunk and line, never lua/lualab/...:NNN.  C
-- functions on the way (a binding that calls back into Lua, string.gsub
-- with a function) are passed over, except pcall and xpcall: a caller
-- that protects the call itself gets the message without a place, as
-- error() at a C level gives it.
local pcall, xpcall = pcall, xpcall
function A.user_level()
    local k = 3 -- 1: user_level, 2: the function raising, 3: its caller
    while true do
        local info = debug.getinfo(k, "Sf")
        if not info or info.func == pcall or info.func == xpcall then
            return k - 1
        end
        if info.what ~= "C" and info.source:sub(1, 12) ~= "@lua/lualab/" then
            return k - 1
        end
        k = k + 1
    end
end

-- raise(msg): error(msg) at the caller outside lualab (user_level).
function A.raise(msg)
    error(msg, A.user_level())
end

-- typename(x): what a value is, as messages name it: "Tensor", "Frame",
-- "Column", "Module" or Lua's type.
function A.typename(x)
    local mt = getmetatable(x)
    local n = type(mt) == "table" and rawget(mt, "__name")
    if type(n) == "string" then
        return (n:gsub("^lualab%.", ""))
    end
    return type(x)
end

-- as_tensor(x): a Frame's numeric columns (in order) or a Column as a
-- Tensor, through the frame's one conversion (to_tensor); x otherwise.
function A.as_tensor(x)
    local mt = getmetatable(x)
    local n = type(mt) == "table" and rawget(mt, "__name")
    if n == "lualab.Frame" or n == "lualab.Column" then
        return x:to_tensor()
    end
    return x
end

-- check_sizes(cfile, layer, config, keys): a model directory's layer sizes
-- are C ints, as src/model reads them, so a crafted config.json (a Dense of
-- 2^62 units) is refused naming its file, layer and key, in the words of
-- src/model/cfg.c, before any weight is sized from it.  Wrappers
-- (Bidirectional, TimeDistributed) hold their layer's config in config.layer.
local INT_MAX = 2147483647

function A.check_sizes(cfile, layer, c, keys)
    if type(c) ~= "table" then return end
    for _, k in ipairs(keys) do
        local vs = type(c[k]) == "table" and c[k] or {c[k]}
        for _, v in ipairs(vs) do
            if type(v) == "number" and not (v <= INT_MAX) then
                local shown = (v < 9.2e18 and v == math.floor(v))
                    and string.format("%d", math.floor(v)) or string.format("%g", v)
                A.raise(string.format("load_model: %s: layer '%s': '%s' is %s, more than %d",
                    cfile, layer, k, shown, INT_MAX))
            end
        end
    end
    if type(c.layer) == "table" then A.check_sizes(cfile, layer, c.layer.config, keys) end
end

return A
