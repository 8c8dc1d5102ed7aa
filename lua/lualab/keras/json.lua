-- A small JSON encoder/decoder for model configs (config.json): objects
-- with sorted keys, arrays, strings, numbers, booleans, null (as json.null).
local M = {}

M.null = setmetatable({}, {__tostring = function() return "null" end})

local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}

local function is_array(t)
    local n = #t
    local count = 0
    for _ in pairs(t) do count = count + 1 end
    return count == n and (n > 0 or getmetatable(t) == M.array_mt)
end

M.array_mt = {}
function M.array(t) return setmetatable(t or {}, M.array_mt) end

local function encode(v, out, indent, level)
    local tv = type(v)
    if v == nil or v == M.null then
        out[#out + 1] = "null"
    elseif tv == "boolean" then
        out[#out + 1] = tostring(v)
    elseif tv == "number" then
        if v ~= v or v == math.huge or v == -math.huge then
            error("json: cannot encode " .. tostring(v))
        end
        if math.type(v) == "integer" then
            out[#out + 1] = string.format("%d", v)
        else
            out[#out + 1] = string.format("%.17g", v)
        end
    elseif tv == "string" then
        out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c)
            return escapes[c] or string.format("\\u%04x", c:byte())
        end) .. '"'
    elseif tv == "table" then
        local pad = indent and ("\n" .. string.rep(indent, level + 1)) or ""
        local close = indent and ("\n" .. string.rep(indent, level)) or ""
        local sep = indent and ": " or ":"
        if is_array(v) then
            if #v == 0 then out[#out + 1] = "[]"; return end
            out[#out + 1] = "["
            for i, x in ipairs(v) do
                if i > 1 then out[#out + 1] = "," end
                out[#out + 1] = pad
                encode(x, out, indent, level + 1)
            end
            out[#out + 1] = close .. "]"
        else
            local keys = {}
            for k in pairs(v) do
                if type(k) ~= "string" then
                    error("json: object keys must be strings, got " .. type(k))
                end
                keys[#keys + 1] = k
            end
            table.sort(keys)
            if #keys == 0 then out[#out + 1] = "{}"; return end
            out[#out + 1] = "{"
            for i, k in ipairs(keys) do
                if i > 1 then out[#out + 1] = "," end
                out[#out + 1] = pad
                encode(k, out, indent, level + 1)
                out[#out + 1] = sep
                encode(v[k], out, indent, level + 1)
            end
            out[#out + 1] = close .. "}"
        end
    else
        error("json: cannot encode a " .. tv)
    end
end

function M.encode(v, indent)
    local out = {}
    encode(v, out, indent, 0)
    return table.concat(out)
end

local function decode_error(s, pos, what)
    local line, col = 1, 1
    for i = 1, pos - 1 do
        if s:sub(i, i) == "\n" then line, col = line + 1, 1 else col = col + 1 end
    end
    error(string.format("json: %s at line %d, column %d", what, line, col), 0)
end

local decode_value

local function skip(s, pos)
    return s:find("[^ \t\r\n]", pos) or #s + 1
end

local function decode_string(s, pos)
    local out, i = {}, pos + 1
    while true do
        local c = s:sub(i, i)
        if c == "" then decode_error(s, pos, "unterminated string") end
        if c == '"' then return table.concat(out), i + 1 end
        if c == "\\" then
            local e = s:sub(i + 1, i + 1)
            local map = {b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
                         ['"'] = '"', ["\\"] = "\\", ["/"] = "/"}
            if map[e] then
                out[#out + 1] = map[e]
                i = i + 2
            elseif e == "u" then
                local hex = s:sub(i + 2, i + 5)
                if not hex:match("^%x%x%x%x$") then
                    decode_error(s, i, "bad \\u escape")
                end
                out[#out + 1] = utf8.char(tonumber(hex, 16))
                i = i + 6
            else
                decode_error(s, i, "bad escape")
            end
        else
            out[#out + 1] = c
            i = i + 1
        end
    end
end

decode_value = function(s, pos)
    pos = skip(s, pos)
    local c = s:sub(pos, pos)
    if c == "{" then
        local obj = {}
        pos = skip(s, pos + 1)
        if s:sub(pos, pos) == "}" then return obj, pos + 1 end
        while true do
            if s:sub(pos, pos) ~= '"' then decode_error(s, pos, "expected a key") end
            local k
            k, pos = decode_string(s, pos)
            pos = skip(s, pos)
            if s:sub(pos, pos) ~= ":" then decode_error(s, pos, "expected ':'") end
            local v
            v, pos = decode_value(s, pos + 1)
            obj[k] = v
            pos = skip(s, pos)
            local d = s:sub(pos, pos)
            if d == "}" then return obj, pos + 1 end
            if d ~= "," then decode_error(s, pos, "expected ',' or '}'") end
            pos = skip(s, pos + 1)
        end
    elseif c == "[" then
        local arr = M.array()
        pos = skip(s, pos + 1)
        if s:sub(pos, pos) == "]" then return arr, pos + 1 end
        while true do
            local v
            v, pos = decode_value(s, pos)
            arr[#arr + 1] = v
            pos = skip(s, pos)
            local d = s:sub(pos, pos)
            if d == "]" then return arr, pos + 1 end
            if d ~= "," then decode_error(s, pos, "expected ',' or ']'") end
            pos = pos + 1
        end
    elseif c == '"' then
        return decode_string(s, pos)
    elseif s:sub(pos, pos + 3) == "true" then
        return true, pos + 4
    elseif s:sub(pos, pos + 4) == "false" then
        return false, pos + 5
    elseif s:sub(pos, pos + 3) == "null" then
        return M.null, pos + 4
    else
        local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
        if not num or num == "" or num == "-" then
            decode_error(s, pos, "unexpected character")
        end
        return math.tointeger(tonumber(num)) or tonumber(num), pos + #num
    end
end

function M.decode(s)
    local v, pos = decode_value(s, 1)
    pos = skip(s, pos)
    if pos <= #s then decode_error(s, pos, "trailing characters") end
    return v
end

return M
