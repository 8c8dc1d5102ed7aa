-- lualab._mlflow.autolog: autolog and the hooks keras fit calls.
-- Part of the mlflow module (lualab._mlflow), which calls the function
-- returned here with the module table and its shared helpers.
return function(M, shared)
    local state, def = shared.state, shared.def

    --------------------------------------------------------------- autolog

    def("autolog", "autolog([{disable=false}]) -- Keras-style fit logs params, per-epoch metrics, summary, curves and the model.",
        function(opts)
            state.autolog = not (type(opts) == "table" and opts.disable)
        end)

    M._autolog_enabled = function() return state.autolog end

    M._autolog_fit_start = function(model, params)
        if not state.autolog then return end
        if not state.stack[#state.stack] then
            state.autolog_run = M.start_run()
        end
        local keep = { "epochs", "batch_size", "optimizer", "learning_rate", "loss" }
        local p = {}
        for _, k in ipairs(keep) do
            if params and params[k] ~= nil then p[k] = params[k] end
        end
        M.log_params(p)
        if model and type(model.summary_text) == "function" then
            local ok, text = pcall(model.summary_text, model)
            if ok and type(text) == "string" then
                M.set_tag("mlflow.note.content", text)
                M.log_text(text, "model_summary.txt")
            end
        end
    end

    M._autolog_epoch_end = function(epoch, logs)
        if not state.autolog or type(logs) ~= "table" then return end
        local m = {}
        for k, v in pairs(logs) do
            if type(v) == "number" then m[k] = v end
        end
        M.log_metrics(m, math.tointeger(epoch) or 0)
    end

    M._autolog_fit_end = function(model, history)
        if not state.autolog then return end
        if history and type(history.plot) == "function" and package.preload["lualab.plot"] then
            local ok, fig = pcall(history.plot, history)
            if ok and fig then pcall(M.log_figure, fig, "training_curves.svg") end
        end
        if model and type(model.save) == "function" and type(model._flavor) == "string" then
            M.log_model(model, "model")
        end
        if state.autolog_run and state.stack[#state.stack] == state.autolog_run then
            M.end_run("FINISHED")
        end
        state.autolog_run = nil
    end
end
