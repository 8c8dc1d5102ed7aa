-- The fluent half of the `mlflow` module: the store, experiments, active
-- runs (<close> runs), params, metrics and tags; artifacts, models and the
-- registry, search and views, and autolog are in lua/lualab/_mlflow/.
-- lua_track.c builds the module table with the store bindings and calls
-- the function this file returns to complete it.  Design: DESIGN.md 5.8, docs/tracking.md.
local raise = require("lualab._args").raise
local json = require("lualab.json")
local fs = require("lualab._fs")

return function(M)
    local state = {
        uri = nil,         -- set_tracking_uri; else MLFLOW_TRACKING_URI
        store = nil,       -- the open lualab.TrackStore
        stack = {},        -- active runs, innermost last
        experiment_id = nil,
        autolog = false,
        autolog_run = nil, -- the run autolog started (it ends it too)
    }
    M.flavors = {}

    local function doc(f, s)
        if lualab and lualab.doc then lualab.doc(f, s) end
        return f
    end

    local function def(name, docstring, f)
        M[name] = doc(f, docstring)
    end

    ---------------------------------------------------------------- store

    local function end_open_runs()
        -- like MLflow's atexit hook: runs still open at exit are FINISHED
        local s = state.store
        if not s then return end
        for i = #state.stack, 1, -1 do
            pcall(s.end_run, s, state.stack[i].info.run_id, "FINISHED")
            state.stack[i].info.status = "FINISHED"
            state.stack[i] = nil
        end
        pcall(s.flush, s)
    end

    local function store()
        if not state.store then
            local uri = M.get_tracking_uri()
            local opened = M._open(M._uri_path(uri))
            state.store = opened
            -- created after the store, so collected before it at exit; it
            -- only acts while its store is still the current one
            state.sentinel = setmetatable({}, { __gc = function()
                if state.store == opened then end_open_runs() end
            end })
        end
        return state.store
    end
    M._store = store

    def("get_tracking_uri", "get_tracking_uri() -> string -- The database runs are logged to.",
        function()
            return state.uri or os.getenv("MLFLOW_TRACKING_URI") or "sqlite:///mlruns.db"
        end)

    def("set_tracking_uri", "set_tracking_uri(uri) -- Log to sqlite:///PATH from now on.",
        function(uri)
            if type(uri) ~= "string" then
                raise("set_tracking_uri: expected a string like 'sqlite:///mlruns.db', got " .. type(uri))
            end
            M._uri_path(uri) -- raises on a bad URI
            if state.store then
                end_open_runs()
                state.store:close()
                state.store = nil
            end
            state.uri = uri
            state.experiment_id = nil
        end)

    ---------------------------------------------------------- experiments

    local function experiment_obj(e)
        return setmetatable(e, { __tostring = function(x)
            return string.format("<Experiment: experiment_id=%d, name='%s', lifecycle_stage='%s'>",
                x.experiment_id, x.name, x.lifecycle_stage)
        end })
    end

    def("create_experiment", "create_experiment(name [, artifact_location]) -> id -- A new experiment.",
        function(name, artifact_location)
            return store():create_experiment(name, artifact_location)
        end)

    def("get_experiment_by_name", "get_experiment_by_name(name) -> Experiment | nil",
        function(name)
            local e = store():get_experiment(tostring(name))
            return e and experiment_obj(e) or nil
        end)

    def("get_experiment", "get_experiment(id) -> Experiment | nil",
        function(id)
            local e = store():get_experiment(math.tointeger(tonumber(id)) or -1)
            return e and experiment_obj(e) or nil
        end)

    def("search_experiments", "search_experiments() -> {Experiment...} -- Every experiment.",
        function()
            local out = store():list_experiments()
            for i, e in ipairs(out) do out[i] = experiment_obj(e) end
            return out
        end)

    def("set_experiment", "set_experiment(name) -> Experiment -- Use (creating if needed) this experiment.",
        function(name)
            if type(name) ~= "string" or name == "" then
                raise("set_experiment: expected an experiment name")
            end
            local s = store()
            local e = s:get_experiment(name)
            if not e then
                -- another process may create it between the two calls
                local ok, id = pcall(s.create_experiment, s, name)
                if ok then
                    print(string.format("mlflow: created experiment '%s' (id %d)", name, id))
                end
                e = s:get_experiment(name)
                if not e then raise(id) end
            end
            state.experiment_id = e.experiment_id
            return experiment_obj(e)
        end)

    ------------------------------------------------------------------ runs

    local Run = {}
    local RunMT = { __name = "lualab.Run" }

    local function is_active(run)
        for _, r in ipairs(state.stack) do
            if r == run then return true end
        end
        return false
    end

    RunMT.__index = function(self, k)
        if k == "data" then
            return store():get_run(rawget(self, "info").run_id).data
        end
        if k == "run_id" then return rawget(self, "info").run_id end
        return Run[k]
    end
    RunMT.__tostring = function(self)
        return string.format("<Run: run_id=%s, run_name='%s', status=%s>",
            self.info.run_id, self.info.run_name, self.info.status)
    end
    RunMT.__close = function(self, err)
        if is_active(self) then
            M.end_run(err ~= nil and "FAILED" or "FINISHED", self)
        end
    end
    RunMT.__display = function(self, opts)
        return M.show_run(self.info.run_id).__display_text(opts)
    end

    function Run:end_run(status) M.end_run(status, self) end

    local function default_experiment()
        if state.experiment_id then return state.experiment_id end
        local name = os.getenv("MLFLOW_EXPERIMENT_NAME")
        if name and name ~= "" then return M.set_experiment(name).experiment_id end
        local id = tonumber(os.getenv("MLFLOW_EXPERIMENT_ID") or "")
        return math.tointeger(id) or 0
    end

    local function source_name()
        return (arg and arg[0]) or "lualab"
    end

    def("start_run",
        "start_run{run_name=, nested=, tags=, experiment_id=, description=} -> Run -- Start a run (use as `local run <close> = ...`).",
        function(opts)
            if opts ~= nil and type(opts) ~= "table" then
                raise("start_run: expected an options table like {run_name='x'}")
            end
            opts = require("lualab._args").check_opts("start_run", opts,
                {"run_name", "nested", "tags", "experiment_id", "description"})
            local s = store()
            local parent = state.stack[#state.stack]
            if parent and not opts.nested then
                raise(string.format("Run with UUID %s is already active. To start a nested run, call start_run{nested=true}; end the active run with mlflow.end_run() first otherwise",
                    parent.info.run_id))
            end
            local exp = opts.experiment_id and math.tointeger(tonumber(opts.experiment_id))
                or default_experiment()
            local user = M._user()
            local id = s:create_run(exp, opts.run_name, user, source_name())
            if parent then s:set_tag(id, "mlflow.parentRunId", parent.info.run_id) end
            s:set_tag(id, "mlflow.source.type", "LOCAL")
            if opts.description then s:set_tag(id, "mlflow.note.content", tostring(opts.description)) end
            for k, v in pairs(opts.tags or {}) do s:set_tag(id, tostring(k), tostring(v)) end
            local run = setmetatable({ info = s:get_run(id).info }, RunMT)
            state.stack[#state.stack + 1] = run
            return run
        end)

    def("active_run", "active_run() -> Run | nil -- The innermost active run.",
        function() return state.stack[#state.stack] end)

    def("last_active_run", "last_active_run() -> Run | nil -- The run that ended last (or the active one).",
        function() return state.stack[#state.stack] or state.last_run end)

    def("end_run", "end_run([status]) -- End the active run: FINISHED (default), FAILED or KILLED.",
        function(status, which)
            status = status or "FINISHED"
            local run = which or state.stack[#state.stack]
            if not run then return end
            store():end_run(run.info.run_id, status)
            run.info.status = status
            for i = #state.stack, 1, -1 do
                if state.stack[i] == run then table.remove(state.stack, i) end
            end
            if state.autolog_run == run then state.autolog_run = nil end
            state.last_run = run
        end)

    -- The active run, or a new one (MLflow's fluent API starts one too).
    local function current()
        local run = state.stack[#state.stack]
        if not run then run = M.start_run() end
        return run.info.run_id
    end

    local function keystr(fn, k)
        if type(k) ~= "string" and type(k) ~= "number" then
            raise(string.format("%s: key must be a string, got %s", fn, type(k)))
        end
        return tostring(k)
    end

    -- Params and tags are strings: scalars are turned into one, anything
    -- else (a table would be stored as 'table: 0x...') is refused.
    local function valstr(fn, what, k, v)
        local t = type(v)
        if t ~= "string" and t ~= "number" and t ~= "boolean" and t ~= "nil" then
            raise(string.format("%s: value of %s '%s' must be a string, number or boolean, got %s",
                fn, what, tostring(k), t))
        end
        if type(v) == "boolean" then return v and "True" or "False" end
        if math.type(v) == "float" and v == math.floor(v) and v == v and math.abs(v) < 1e16 then
            return M._pyfloat(v)
        end
        return tostring(v)
    end

    -- store():method(...): what the store refuses (a name with a '*', a
    -- param logged again with another value) is the caller's mistake,
    -- raised at the caller's line.
    local function to_store(method, ...)
        local s = store()
        local r = table.pack(pcall(s[method], s, ...))
        if not r[1] then
            raise((tostring(r[2]):gsub("^[^\n:]*:%d+: ", "")))
        end
        return table.unpack(r, 2, r.n)
    end

    def("log_param", "log_param(key, value) -- Log an immutable parameter of the active run.",
        function(k, v)
            to_store("log_param", current(), keystr("log_param", k),
                valstr("log_param", "param", k, v))
            return v
        end)

    def("log_params", "log_params{key=value...} -- Log several parameters.",
        function(t)
            if type(t) ~= "table" then raise("log_params: expected a table of key = value") end
            local keys, vals = {}, {}
            for k in pairs(t) do keys[#keys + 1] = keystr("log_params", k) end
            table.sort(keys)
            -- check every value before logging any
            for i, k in ipairs(keys) do
                local v = t[k]
                if v == nil then v = t[tonumber(k)] end
                vals[i] = valstr("log_params", "param", k, v)
            end
            local id = current()
            for i, k in ipairs(keys) do to_store("log_param", id, k, vals[i]) end
        end)

    local function metric_value(fn, k, v)
        if type(v) ~= "number" then
            raise(string.format("%s: value of metric '%s' must be a number, got %s",
                fn, tostring(k), type(v)))
        end
        return v
    end

    local function step_value(fn, step)
        if step == nil then return 0 end
        local s = math.tointeger(step)
        if not s then raise(fn .. ": step must be an integer, got " .. tostring(step)) end
        return s
    end

    def("log_metric", "log_metric(key, value [, step]) -- Log one point of a metric's history.",
        function(k, v, step)
            to_store("log_metric", current(), keystr("log_metric", k),
                metric_value("log_metric", k, v), nil, step_value("log_metric", step))
        end)

    def("log_metrics", "log_metrics({key=value...} [, step]) -- Log several metrics at one step.",
        function(t, step)
            if type(t) ~= "table" then raise("log_metrics: expected a table of key = number") end
            local id, st = current(), step_value("log_metrics", step)
            local now = M._now_ms()
            local keys = {}
            for k in pairs(t) do keys[#keys + 1] = keystr("log_metrics", k) end
            table.sort(keys)
            for _, k in ipairs(keys) do
                to_store("log_metric", id, k, metric_value("log_metrics", k, t[k]), now, st)
            end
        end)

    def("set_tag", "set_tag(key, value) -- Set a tag of the active run.",
        function(k, v)
            to_store("set_tag", current(), keystr("set_tag", k), valstr("set_tag", "tag", k, v))
        end)

    def("set_tags", "set_tags{key=value...} -- Set several tags.",
        function(t)
            if type(t) ~= "table" then raise("set_tags: expected a table of key = value") end
            local id = current()
            for k, v in pairs(t) do
                to_store("set_tag", id, keystr("set_tags", k), valstr("set_tags", "tag", k, v))
            end
        end)

    def("flush", "flush() -- Write buffered metric points now.",
        function() if state.store then state.store:flush() end end)

    def("get_run", "get_run(run_id) -> Run -- A run with info and data (params, metrics, tags).",
        function(id)
            local r = store():get_run(tostring(id))
            return setmetatable(r, { __tostring = RunMT.__tostring, __name = "lualab.Run",
                __display = function(self, opts) return M.show_run(self.info.run_id).__display_text(opts) end })
        end)

    def("get_metric_history", "get_metric_history(run_id, key) -> {{step=, value=, timestamp=}...}",
        function(id, key) return store():metric_history(store():get_run(id).info.run_id, key) end)

    -- The rest of the module, one file per job (lua/lualab/_mlflow/).
    local shared = { state = state, def = def, doc = doc, store = store, current = current,
        default_experiment = default_experiment, json = json, fs = fs, RunMT = RunMT }
    require("lualab._mlflow.artifacts")(M, shared)
    require("lualab._mlflow.models")(M, shared)
    require("lualab._mlflow.search")(M, shared)
    require("lualab._mlflow.autolog")(M, shared)

    return M
end
