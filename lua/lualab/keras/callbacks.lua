-- keras.callbacks: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
-- CSVLogger, TerminateOnNaN, LambdaCallback, with Keras' defaults.
-- A callback is a table with any of on_train_begin(logs),
-- on_train_end(logs), on_epoch_begin(epoch, logs), on_epoch_end(epoch,
-- logs), on_batch_begin(batch, logs), on_batch_end(batch, logs); epochs
-- and batches are 0-based as in Keras.  fit sets callback.model.
local raise = require("lualab._args").raise
local M = {}
local split = require("lualab._args").split

local function doc(f, s)
    if lualab and lualab.doc then lualab.doc(f, s) end
    return f
end

local function check_opts(opts, where, allowed)
    if opts == nil then return {} end
    if type(opts) ~= "table" then
        raise(where .. ": options table expected, got " .. type(opts))
    end
    local checked = require("lualab._args").check_opts(where, opts, allowed, 3)
    return checked -- not a tail call: the level counts this frame
end

local function set(...)
    local s = {}
    for _, k in ipairs({...}) do s[k] = true end
    return s
end

-- Keras' "auto" mode: maximise accuracy-like metrics, minimise the rest.
local function monitor_op(mode, monitor, where)
    if type(monitor) ~= "string" then
        raise(string.format("%s: monitor must be a metric name like 'val_loss', got %s",
                            where, type(monitor)))
    end
    if mode ~= "auto" and mode ~= "min" and mode ~= "max" then
        raise(string.format("%s: mode must be 'auto', 'min' or 'max', got '%s'",
                            where, tostring(mode)))
    end
    if mode == "auto" then
        mode = (monitor:find("acc") or monitor:find("fmeasure") or
                monitor:find("auc")) and "max" or "min"
    end
    if mode == "max" then
        return function(a, b) return a > b end, -math.huge, 1
    end
    return function(a, b) return a < b end, math.huge, -1
end

-- EarlyStopping ------------------------------------------------------------

M.EarlyStopping = doc(function(opts)
    opts = check_opts(opts, "EarlyStopping", set("monitor", "min_delta",
        "patience", "verbose", "mode", "baseline", "restore_best_weights"))
    local cb = {monitor = opts.monitor or "val_loss",
                min_delta = math.abs(opts.min_delta or 0),
                patience = opts.patience or 0, verbose = opts.verbose or 0,
                baseline = opts.baseline,
                restore_best_weights = opts.restore_best_weights == true,
                _name = "EarlyStopping"}
    local better, init, sign = monitor_op(opts.mode or "auto", cb.monitor,
                                          "EarlyStopping")
    cb.min_delta = cb.min_delta * sign
    function cb.on_train_begin()
        cb.wait, cb.stopped_epoch, cb.best_weights = 0, 0, nil
        cb.best = cb.baseline or init
        cb.best_epoch = 0
    end
    function cb.on_epoch_end(epoch, logs)
        local current = logs[cb.monitor]
        if current == nil then
            print(string.format("Early stopping conditioned on metric `%s` " ..
                  "which is not available.", cb.monitor))
            return
        end
        if cb.restore_best_weights and cb.best_weights == nil then
            cb.best_weights = cb.model:get_weights()
        end
        cb.wait = cb.wait + 1
        if better(current - cb.min_delta, cb.best) then
            cb.best, cb.best_epoch = current, epoch
            if cb.restore_best_weights then
                cb.best_weights = cb.model:get_weights()
            end
            if cb.baseline == nil or better(current, cb.baseline) then
                cb.wait = 0
            end
        end
        if cb.wait >= cb.patience and epoch > 0 then
            cb.stopped_epoch = epoch
            cb.model.stop_training = true
            if cb.restore_best_weights and cb.best_weights then
                if cb.verbose > 0 then
                    print(string.format("Restoring model weights from the " ..
                          "end of the best epoch: %d.", cb.best_epoch + 1))
                end
                cb.model:set_weights(cb.best_weights)
            end
        end
    end
    function cb.on_train_end()
        if cb.stopped_epoch > 0 and cb.verbose > 0 then
            print(string.format("Epoch %d: early stopping", cb.stopped_epoch + 1))
        end
    end
    return cb
end, "keras.callbacks.EarlyStopping{monitor='val_loss', min_delta=0, " ..
     "patience=0, mode='auto', baseline=, restore_best_weights=false} -- " ..
     "Stop training when the monitored value stops improving.")

-- ModelCheckpoint ----------------------------------------------------------

-- "{epoch:02d}-{val_loss:.2f}" -> "03-0.12" (epoch is 1-based, as Keras).
local function format_path(path, epoch, logs)
    return (path:gsub("{([%w_]+):?([^}]*)}", function(key, spec)
        local v = key == "epoch" and epoch + 1 or logs[key]
        if v == nil then
            raise(string.format("ModelCheckpoint: filepath key '%s' is not " ..
                  "among the logs", key))
        end
        if spec == "" then return tostring(v) end
        return string.format("%" .. spec, v)
    end))
end

M.ModelCheckpoint = doc(function(filepath, opts)
    filepath, opts = split("ModelCheckpoint", {"filepath"}, 2, filepath, opts)
    if type(filepath) ~= "string" then
        raise("ModelCheckpoint: filepath must be a string, got " .. type(filepath))
    end
    opts = check_opts(opts, "ModelCheckpoint", set("monitor", "verbose",
        "save_best_only", "save_weights_only", "mode"))
    local cb = {filepath = filepath, monitor = opts.monitor or "val_loss",
                verbose = opts.verbose or 0,
                save_best_only = opts.save_best_only == true,
                save_weights_only = opts.save_weights_only == true,
                _name = "ModelCheckpoint"}
    local better, init = monitor_op(opts.mode or "auto", cb.monitor,
                                    "ModelCheckpoint")
    cb.best = init
    function cb.on_epoch_end(epoch, logs)
        local path = format_path(cb.filepath, epoch, logs)
        if cb.save_best_only then
            local current = logs[cb.monitor]
            if current == nil then
                print(string.format("Can save best model only with %s " ..
                      "available, skipping.", cb.monitor))
                return
            end
            if not better(current, cb.best) then
                if cb.verbose > 0 then
                    print(string.format("Epoch %d: %s did not improve from %.5f",
                                        epoch + 1, cb.monitor, cb.best))
                end
                return
            end
            if cb.verbose > 0 then
                print(string.format("Epoch %d: %s improved from %.5f to " ..
                      "%.5f, saving model to %s", epoch + 1, cb.monitor,
                      cb.best, current, path))
            end
            cb.best = current
        elseif cb.verbose > 0 then
            print(string.format("Epoch %d: saving model to %s", epoch + 1, path))
        end
        if cb.save_weights_only then
            cb.model:save_weights(path)
        else
            cb.model:save(path)
        end
    end
    return cb
end, "keras.callbacks.ModelCheckpoint(filepath, {monitor='val_loss', " ..
     "save_best_only=false, save_weights_only=false, mode='auto'}) -- Save " ..
     "the model (a directory) after each epoch; filepath may hold " ..
     "{epoch:02d} and {val_loss:.2f}.")

-- ReduceLROnPlateau --------------------------------------------------------

M.ReduceLROnPlateau = doc(function(opts)
    opts = check_opts(opts, "ReduceLROnPlateau", set("monitor", "factor",
        "patience", "verbose", "mode", "min_delta", "cooldown", "min_lr"))
    local cb = {monitor = opts.monitor or "val_loss", factor = opts.factor or 0.1,
                patience = opts.patience or 10, verbose = opts.verbose or 0,
                min_delta = opts.min_delta or 1e-4, cooldown = opts.cooldown or 0,
                min_lr = opts.min_lr or 0, _name = "ReduceLROnPlateau"}
    if cb.factor >= 1.0 then
        raise("ReduceLROnPlateau: does not support a factor >= 1.0")
    end
    local better, init = monitor_op(opts.mode or "auto", cb.monitor,
                                    "ReduceLROnPlateau")
    local max_mode = better(1, 0)
    local function improved(a, b)
        if max_mode then return a > b + cb.min_delta end
        return a < b - cb.min_delta
    end
    function cb.on_train_begin()
        cb.best, cb.wait, cb.cooldown_counter = init, 0, 0
    end
    function cb.on_epoch_end(epoch, logs)
        logs.lr = cb.model.optimizer:get_lr()
        local current = logs[cb.monitor]
        if current == nil then
            print(string.format("Learning rate reduction is conditioned on " ..
                  "metric `%s` which is not available.", cb.monitor))
            return
        end
        if cb.cooldown_counter > 0 then
            cb.cooldown_counter = cb.cooldown_counter - 1
            cb.wait = 0
        end
        if improved(current, cb.best) then
            cb.best, cb.wait = current, 0
        elseif cb.cooldown_counter <= 0 then
            cb.wait = cb.wait + 1
            if cb.wait >= cb.patience then
                local old = cb.model.optimizer:get_lr()
                if old > cb.min_lr then
                    local new = math.max(old * cb.factor, cb.min_lr)
                    cb.model.optimizer:set_lr(new)
                    if cb.verbose > 0 then
                        print(string.format("Epoch %d: ReduceLROnPlateau " ..
                              "reducing learning rate to %s.", epoch + 1, new))
                    end
                    cb.cooldown_counter, cb.wait = cb.cooldown, 0
                end
            end
        end
    end
    return cb
end, "keras.callbacks.ReduceLROnPlateau{monitor='val_loss', factor=0.1, " ..
     "patience=10, min_delta=1e-4, cooldown=0, min_lr=0} -- Multiply the " ..
     "learning rate by factor when the monitored value stalls.")

-- CSVLogger ----------------------------------------------------------------

M.CSVLogger = doc(function(filename, opts)
    filename, opts = split("CSVLogger", {"filename"}, 2, filename, opts)
    if type(filename) ~= "string" then
        raise("CSVLogger: filename must be a string, got " .. type(filename))
    end
    opts = check_opts(opts, "CSVLogger", set("separator", "append"))
    local cb = {filename = filename, separator = opts.separator or ",",
                append = opts.append == true, _name = "CSVLogger"}
    function cb.on_train_begin()
        local exists = io.open(cb.filename, "r")
        cb.header_done = cb.append and exists ~= nil
        if exists then exists:close() end
        local f, msg = io.open(cb.filename, cb.append and "a" or "w")
        if not f then raise("CSVLogger: " .. msg) end
        cb.file, cb.keys = f, nil
    end
    function cb.on_epoch_end(epoch, logs)
        if cb.keys == nil then
            cb.keys = {}
            for k in pairs(logs) do cb.keys[#cb.keys + 1] = k end
            table.sort(cb.keys)
            if not cb.header_done then
                cb.file:write("epoch", cb.separator,
                              table.concat(cb.keys, cb.separator), "\n")
            end
        end
        local row = {tostring(epoch)}
        for _, k in ipairs(cb.keys) do
            local v = logs[k]
            row[#row + 1] = v == nil and "NA" or string.format("%.17g", v)
        end
        cb.file:write(table.concat(row, cb.separator), "\n")
        cb.file:flush()
    end
    function cb.on_train_end()
        if cb.file then cb.file:close() end
        cb.file = nil
    end
    return cb
end, "keras.callbacks.CSVLogger(filename, {separator=',', append=false}) " ..
     "-- Write epoch and the logs (sorted keys) to a CSV file.")

-- TerminateOnNaN -----------------------------------------------------------

M.TerminateOnNaN = doc(function()
    local cb = {_name = "TerminateOnNaN"}
    function cb.on_batch_end(batch, logs)
        local loss = logs.loss
        if loss ~= nil and (loss ~= loss or loss == math.huge or loss == -math.huge) then
            print(string.format("Batch %d: Invalid loss, terminating training", batch))
            cb.model.stop_training = true
        end
    end
    return cb
end, "keras.callbacks.TerminateOnNaN() -- Stop training when the loss " ..
     "becomes NaN or infinite.")

-- LambdaCallback -----------------------------------------------------------

M.LambdaCallback = doc(function(opts)
    local hooks = set("on_epoch_begin", "on_epoch_end", "on_batch_begin",
                      "on_batch_end", "on_train_begin", "on_train_end")
    opts = check_opts(opts, "LambdaCallback", hooks)
    local cb = {_name = "LambdaCallback"}
    for k, f in pairs(opts) do
        if type(f) ~= "function" then
            raise(string.format("LambdaCallback: '%s' must be a function, got %s",
                                k, type(f)))
        end
        cb[k] = f
    end
    return cb
end, "keras.callbacks.LambdaCallback{on_epoch_end=function(epoch, logs) " ..
     "... end, ...} -- A callback from Lua functions.")

M._format_path = format_path
return M
