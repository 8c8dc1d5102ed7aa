-- lualab.nn.optim: losses, optimizers and learning-rate schedulers.
-- Part of lualab.nn (nn.lua), which calls the function returned here.
local raise = require("lualab._args").raise
return function(nn, shared)
local C, Tensor, Module, is_module, is_tensor, argerr = shared.C, shared.Tensor, shared.Module, shared.is_module, shared.is_tensor, shared.argerr

-- ---- losses -------------------------------------------------------------

local function loss_class(name, kind)
    local L = Module:extend(name)
    function L:init(opts)
        opts = opts or {}
        self.reduction = opts.reduction or "mean"
        self.delta = opts.delta or 1.0
        self.ignore_index = opts.ignore_index or -100
    end
    function L:forward(input, target)
        if not is_tensor(input) then
            argerr(name, 1, "Tensor", input)
        end
        if not is_tensor(target) then
            if type(target) == "table" or type(target) == "number" then
                target = C.tensor(target)
            else
                argerr(name, 2, "Tensor", target)
            end
        end
        return C.loss(kind, input, target, self.reduction, self.delta, self.ignore_index)
    end
    nn[name] = L
end
loss_class("MSELoss", "mse")
loss_class("L1Loss", "l1")
loss_class("HuberLoss", "huber")
loss_class("BCELoss", "bce")
loss_class("BCEWithLogitsLoss", "bce_logits")
loss_class("CrossEntropyLoss", "cross_entropy")
loss_class("NLLLoss", "nll")

-- ---- optimizers ------------------------------------------------------------

nn.optim = { lr_scheduler = {} }

local Optim = {}
Optim.__index = Optim

local check_opts = require("lualab._args").check_opts

local function params_list(params, name, need)
    if is_module(params) then
        params = params:parameters()
    end
    if type(params) ~= "table" then
        raise(name .. ": bad argument #1 (table of parameters expected, got " .. type(params) .. ")")
    end
    local out = {}
    for i, p in ipairs(params) do
        if not is_tensor(p) then
            raise(name .. ": parameter " .. i .. " is a " .. type(p) .. ", not a Tensor")
        end
        out[#out + 1] = p
    end
    if need and #out == 0 then
        raise(name .. ": optimizer got an empty parameter list (pass model:parameters())")
    end
    return out
end

-- The options each optimizer reads (others are errors, with a suggestion).
local optim_opts = {
    SGD = { "lr", "momentum", "dampening", "weight_decay", "nesterov" },
    Adam = { "lr", "betas", "eps", "weight_decay" },
    AdamW = { "lr", "betas", "eps", "weight_decay" },
    RMSprop = { "lr", "alpha", "eps", "weight_decay", "momentum" },
    Adagrad = { "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps" },
}

local function optim_class(name, kind)
    nn.optim[name] = function(params, opts)
        opts = opts or {}
        if type(opts) == "number" then
            opts = { lr = opts }
        end
        check_opts(name, opts, optim_opts[name])
        local ps = params_list(params, name, true)
        local self = setmetatable({ name = name, params = ps, defaults = opts }, Optim)
        self._c = C.optimizer(kind, ps, opts)
        self.param_groups = { { lr = self._c:lr(), params = ps } }
        return self
    end
end
optim_class("SGD", "sgd")
optim_class("Adam", "adam")
optim_class("AdamW", "adamw")
optim_class("RMSprop", "rmsprop")
optim_class("Adagrad", "adagrad")

function Optim:step(closure)
    local loss
    if closure then
        loss = closure()
    end
    -- param_groups[1].lr may have been changed by the user or a scheduler
    if self.param_groups[1].lr ~= self._c:lr() then
        self._c:lr(self.param_groups[1].lr)
    end
    self._c:step()
    return loss
end
function Optim:zero_grad()
    self._c:zero_grad()
end
function Optim:get_lr()
    return self.param_groups[1].lr
end
function Optim:set_lr(lr)
    self.param_groups[1].lr = lr
    self._c:lr(lr)
end
for name, text in pairs({
    step = "opt:step([closure]) -> loss -- Update the parameters from their gradients " ..
           "(closure, when given, recomputes the loss first and its value is returned).",
    zero_grad = "opt:zero_grad() -- Set the gradients of the optimizer's parameters to zero.",
    get_lr = "opt:get_lr() -> lr -- The learning rate (param_groups[1].lr).",
    set_lr = "opt:set_lr(lr) -- Set the learning rate (schedulers call it).",
}) do
    shared.doc(Optim[name], text)
end
Optim.__tostring = function(self)
    return string.format("%s(lr=%g)", self.name, self:get_lr())
end

local sched_opts = {
    StepLR = { "step_size", "gamma" },
    ExponentialLR = { "gamma" },
    ReduceLROnPlateau = { "mode", "factor", "patience", "threshold", "cooldown", "min_lr" },
}
local sched_required = { StepLR = "step_size", ExponentialLR = "gamma" }
local function sched(name, stepfn)
    nn.optim.lr_scheduler[name] = function(opt, opts)
        if getmetatable(opt) ~= Optim then
            raise(string.format("%s: bad argument #1 (optimizer expected, got %s)", name,
                require("lualab._args").typename(opt)))
        end
        opts = check_opts(name, opts, sched_opts[name])
        local need = sched_required[name]
        if need and type(opts[need]) ~= "number" then
            raise(string.format("%s: option '%s' (a number) is required", name, need))
        end
        local s = { opt = opt, opts = opts, base_lr = opt:get_lr(), last_epoch = 0, best = nil, bad = 0,
            cooldown = 0 }
        s.step = stepfn
        s.get_last_lr = function(self)
            return { self.opt:get_lr() }
        end
        return s
    end
end
sched("StepLR", function(self)
    self.last_epoch = self.last_epoch + 1
    local g = self.opts.gamma or 0.1
    self.opt:set_lr(self.base_lr * g ^ (self.last_epoch // self.opts.step_size))
end)
sched("ExponentialLR", function(self)
    self.last_epoch = self.last_epoch + 1
    self.opt:set_lr(self.base_lr * self.opts.gamma ^ self.last_epoch)
end)
sched("ReduceLROnPlateau", function(self, metric)
    if type(metric) ~= "number" then
        raise("ReduceLROnPlateau:step: bad argument #1 (number expected, got " .. type(metric) .. ")")
    end
    local o = self.opts
    local mode, th = o.mode or "min", o.threshold or 1e-4
    local better
    if self.best == nil then
        better = true
    elseif mode == "min" then
        better = metric < self.best * (1 - th)
    else
        better = metric > self.best * (1 + th)
    end
    if better then
        self.best, self.bad = metric, 0
    else
        self.bad = self.bad + 1
    end
    if self.cooldown > 0 then
        self.cooldown = self.cooldown - 1
        self.bad = 0
    end
    if self.bad > (o.patience or 10) then
        local new = math.max(self.opt:get_lr() * (o.factor or 0.1), o.min_lr or 0)
        self.opt:set_lr(new)
        self.cooldown = o.cooldown or 0
        self.bad = 0
    end
end)

nn.utils = {}
function nn.utils.clip_grad_norm_(params, max_norm)
    return C.clip_grad_norm(params_list(params, "clip_grad_norm_"), max_norm)
end
function nn.utils.clip_grad_value_(params, clip)
    return C.clip_grad_value(params_list(params, "clip_grad_value_"), clip)
end
end
