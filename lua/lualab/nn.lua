-- lualab.nn: the PyTorch-style front end over the C engine (lualab._nn).
--
-- Modules are Lua tables whose class is made with nn.Module:extend(name);
-- parameters are tensors registered with self:register_parameter or
-- nn.Parameter, children are modules stored in fields.  Registration order is
-- kept (named_parameters and state_dict follow it, as in PyTorch).  Dims and
-- indices given to tensor methods are 0-based like PyTorch's.
local C = require("lualab._nn")
local split_args = require("lualab._args").split
local as_tensor = require("lualab._args").as_tensor
local typename = require("lualab._args").typename

local nn = {}
for k, v in pairs(C) do
    nn[k] = v
end
nn.functional = C

local doc = (lualab and lualab.doc) or function() end
local Tensor = C.Tensor

local function is_tensor(x)
    return type(x) == "userdata" and getmetatable(x) and getmetatable(x).__name == "lualab.Tensor"
end
nn.is_tensor = is_tensor
nn.as_tensor = as_tensor
doc(nn.as_tensor, "as_tensor(x) -> Tensor | x -- A Frame (its numeric columns, in order) or a Column as a " ..
    "Tensor through to_tensor(); anything else as given.")

local function shape_str(t)
    return "[" .. table.concat(t:shape(), ", ") .. "]"
end
nn._shape_str = shape_str

function Tensor.flip(t, dim)
    local n = t:shape(dim)
    return t:index_select(dim, C.arange(n - 1, -1, -1))
end
doc(Tensor.flip, "t:flip(dim) -> Tensor -- Reverse the order along dim (differentiable).")

-- Parameters: tensors marked here are collected by parameters().
local param_set = setmetatable({}, { __mode = "k" })

function nn.Parameter(t, requires_grad)
    if not is_tensor(t) then
        error("Parameter: bad argument #1 (Tensor expected, got " .. type(t) .. ")", 2)
    end
    if requires_grad == nil then
        requires_grad = true
    end
    t.requires_grad = requires_grad
    param_set[t] = true
    return t
end
doc(nn.Parameter, "Parameter(t [, requires_grad=true]) -> t -- Mark a tensor as a module parameter.")

-- A to-be-closed value that puts grad mode back to `prev` when its scope
-- ends: on return, on error and when an interrupted cell's coroutine is
-- closed (code after a pcall would never run then).
local GradGuard = { __close = function(g) C.set_grad_enabled(g.prev) end }
function nn.grad_mode_guard(on)
    return setmetatable({ prev = C.set_grad_enabled(on and true or false) }, GradGuard)
end
doc(nn.grad_mode_guard, "grad_mode_guard(on) -> guard -- Set grad mode; `local g <close> = nn.grad_mode_guard(false)` " ..
    "puts the previous mode back when g goes out of scope, even if the cell is interrupted.")

function nn.no_grad(fn, ...)
    local guard <close> = nn.grad_mode_guard(false)
    return fn(...)
end
doc(nn.no_grad, "no_grad(fn, ...) -> results -- Call fn with autograd recording off (restored on return, " ..
    "error or interrupt).")

-- ---- Module ------------------------------------------------------------

local Module = {}
Module.__index = Module
Module.__name = "Module"
Module.__is_module = true
nn.Module = Module

local function is_module(x)
    return type(x) == "table" and x.__is_module == true and rawget(x, "_order") ~= nil
end
nn.is_module = is_module

-- A new instance of class cls: fields assigned to it are recorded in order.
local function instance_mt(cls)
    local mt = rawget(cls, "_instance_mt")
    if mt then
        return mt
    end
    mt = {
        __index = cls,
        __newindex = function(self, k, v)
            local order = rawget(self, "_order")
            if order and type(k) == "string" then
                order[#order + 1] = k
            end
            rawset(self, k, v)
        end,
        __call = function(self, ...)
            -- Frames and Columns go in as Tensors (numeric columns, in order).
            local n = select("#", ...)
            if n == 1 then
                return self:forward(as_tensor((...)))
            end
            local args = table.pack(...)
            for i = 1, n do
                args[i] = as_tensor(args[i])
            end
            return self:forward(table.unpack(args, 1, n))
        end,
        __tostring = function(self)
            return self:__repr()
        end,
        __name = "lualab.Module",
    }
    mt.__display = function(self)
        return self:__repr()
    end
    rawset(cls, "_instance_mt", mt)
    return mt
end

function Module:extend(name)
    local cls = setmetatable({}, { __index = self, __call = function(c, ...)
        return c:new(...)
    end })
    cls.__name = name or "Module"
    cls.__index = cls
    return cls
end

-- A class with _positional = {names...} also takes Lua's one-table call:
-- nn.Linear{4, 2, bias = false} is nn.Linear(4, 2, {bias = false}).
function Module:new(...)
    local obj = setmetatable({ _order = {}, training = true }, instance_mt(self))
    if obj.init then
        local names = rawget(self, "_positional") -- not a subclass's
        if names then
            obj:init(split_args(self.__name, names, 2, ...))
        else
            obj:init(...)
        end
    end
    return obj
end

-- nn.Module{forward = fn, ...}: a one-off module from a table.
setmetatable(Module, {
    __call = function(_, tbl)
        local cls = Module:extend(tbl.name or "Module")
        for k, v in pairs(tbl) do
            cls[k] = v
        end
        return cls:new()
    end,
})

function Module:forward()
    error(self.__name .. ": forward is not implemented", 2)
end

function Module:register_parameter(name, t)
    self[name] = nn.Parameter(t, t.requires_grad or not param_set[t])
    return t
end

-- Children and parameters in registration order.
function Module:_each(fn)
    for _, k in ipairs(rawget(self, "_order")) do
        local v = rawget(self, k)
        if v ~= nil then
            fn(k, v)
        end
    end
end

function Module:named_children()
    local out = {}
    self:_each(function(k, v)
        if is_module(v) then
            out[#out + 1] = { k, v }
        end
    end)
    return out
end

function Module:children()
    local out = {}
    for _, kv in ipairs(self:named_children()) do
        out[#out + 1] = kv[2]
    end
    return out
end

-- {{name, tensor}, ...} with PyTorch's dotted names; frozen parameters
-- (requires_grad = false) included, as in PyTorch.
function Module:named_parameters(prefix)
    prefix = prefix or ""
    local out = {}
    self:_each(function(k, v)
        if is_tensor(v) and param_set[v] then
            out[#out + 1] = { prefix .. k, v }
        elseif is_module(v) then
            for _, kv in ipairs(v:named_parameters(prefix .. k .. ".")) do
                out[#out + 1] = kv
            end
        end
    end)
    return out
end

function Module:parameters()
    local out = {}
    for _, kv in ipairs(self:named_parameters()) do
        out[#out + 1] = kv[2]
    end
    return out
end

function Module:num_parameters(trainable_only)
    local n = 0
    for _, kv in ipairs(self:named_parameters()) do
        if not trainable_only or kv[2].requires_grad then
            n = n + kv[2]:numel()
        end
    end
    return n
end

function Module:train(on)
    if on == nil then
        on = true
    end
    self.training = on
    for _, c in ipairs(self:children()) do
        c:train(on)
    end
    return self
end

function Module:eval()
    return self:train(false)
end

function Module:zero_grad()
    for _, p in ipairs(self:named_parameters()) do
        local g = p[2].grad
        if g then
            g:zero_()
        end
    end
end

-- An ordered state dict: t[name] = tensor (shared with the model) and
-- t.__keys = {names in order} (hidden from pairs through a metatable).
local StateDict = {}
StateDict.__index = function(t, k)
    if k == "keys" then
        return function()
            return rawget(t, "_keys") or getmetatable(t)._keys
        end
    end
    return nil
end

local function new_state_dict(keys, map)
    local sd = {}
    for _, k in ipairs(keys) do
        sd[k] = map[k]
    end
    return setmetatable(sd, { _keys = keys, __index = function(_, k)
        if k == "_keys" then
            return keys
        end
    end })
end

local function sd_keys(sd)
    local mt = getmetatable(sd)
    if mt and mt._keys then
        return mt._keys
    end
    local keys = {}
    for k in pairs(sd) do
        keys[#keys + 1] = k
    end
    table.sort(keys)
    return keys
end
nn._state_dict_keys = sd_keys

function Module:state_dict()
    local keys, map = {}, {}
    for _, kv in ipairs(self:named_parameters()) do
        keys[#keys + 1] = kv[1]
        map[kv[1]] = kv[2]
    end
    return new_state_dict(keys, map)
end

function Module:load_state_dict(sd, strict)
    if strict == nil then
        strict = true
    end
    local own = {}
    local missing, unexpected, bad = {}, {}, {}
    for _, kv in ipairs(self:named_parameters()) do
        own[kv[1]] = kv[2]
        if sd[kv[1]] == nil then
            missing[#missing + 1] = kv[1]
        end
    end
    for _, k in ipairs(sd_keys(sd)) do
        local p = own[k]
        if p == nil then
            unexpected[#unexpected + 1] = k
        elseif not is_tensor(sd[k]) then
            bad[#bad + 1] = k .. " is a " .. type(sd[k]) .. ", not a Tensor"
        elseif shape_str(sd[k]) ~= shape_str(p) then
            bad[#bad + 1] = k .. " has shape " .. shape_str(sd[k]) .. " in the state dict, " .. shape_str(p) .. " in the model"
        end
    end
    local msgs = {}
    if #bad > 0 then
        msgs[#msgs + 1] = "size mismatch: " .. table.concat(bad, "; ")
    end
    if strict and #missing > 0 then
        msgs[#msgs + 1] = "missing keys: " .. table.concat(missing, ", ")
    end
    if strict and #unexpected > 0 then
        msgs[#msgs + 1] = "unexpected keys: " .. table.concat(unexpected, ", ")
    end
    if #msgs > 0 then
        error("load_state_dict for " .. self.__name .. ": " .. table.concat(msgs, "; "), 2)
    end
    for k, p in pairs(own) do
        if sd[k] ~= nil then
            p:copy_(sd[k])
        end
    end
    return { missing_keys = missing, unexpected_keys = unexpected }
end

function Module:extra_repr()
    return ""
end

function Module:__repr(indent)
    indent = indent or ""
    local kids = self:named_children()
    if #kids == 0 then
        return self.__name .. "(" .. self:extra_repr() .. ")"
    end
    local lines = { self.__name .. "(" }
    for _, kv in ipairs(kids) do
        lines[#lines + 1] = indent .. "  (" .. kv[1] .. "): " .. kv[2]:__repr(indent .. "  ")
    end
    lines[#lines + 1] = indent .. ")"
    return table.concat(lines, "\n")
end

local function uniform(shape, bound)
    return C.rand(shape) * (2 * bound) - bound
end
nn._uniform = uniform

local function argerr(name, n, what, got)
    error(string.format("%s: bad argument #%d (%s expected, got %s)", name, n, what, typename(got)), 3)
end

-- The rest of the module, one file per job: layers (nn/layers.lua), losses
-- and optimizers (nn/optim.lua), saving and loading (nn/io.lua).  Each gets
-- nn and these shared helpers.
local shared = { C = C, Tensor = Tensor, Module = Module, is_module = is_module, is_tensor = is_tensor,
    shape_str = shape_str, uniform = uniform, argerr = argerr, new_state_dict = new_state_dict,
    sd_keys = sd_keys, doc = doc, split_args = split_args }
require("lualab.nn.layers")(nn, shared)
require("lualab.nn.optim")(nn, shared)
require("lualab.nn.io")(nn, shared)

return nn
