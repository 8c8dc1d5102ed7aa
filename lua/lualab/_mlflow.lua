-- The fluent half of the `mlflow` module: active runs, <close> runs,
-- artifacts, models, the registry by URI and autolog.  lua_track.c builds
-- the module table with the store bindings and calls the function this
-- file returns to complete it.  Design: DESIGN.md 5.8, docs/tracking.md.
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
                error("set_tracking_uri: expected a string like 'sqlite:///mlruns.db', got " .. type(uri), 2)
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
                error("set_experiment: expected an experiment name", 2)
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
                if not e then error(id, 2) end
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
            opts = opts or {}
            if type(opts) ~= "table" then
                error("start_run: expected an options table like {run_name='x'}", 2)
            end
            local s = store()
            local parent = state.stack[#state.stack]
            if parent and not opts.nested then
                error(string.format("Run with UUID %s is already active. To start a nested run, call start_run{nested=true}; end the active run with mlflow.end_run() first otherwise",
                    parent.info.run_id), 2)
            end
            local exp = opts.experiment_id and math.tointeger(tonumber(opts.experiment_id))
                or default_experiment()
            local user = os.getenv("USER") or os.getenv("LOGNAME") or "unknown"
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
            error(string.format("%s: key must be a string, got %s", fn, type(k)), 3)
        end
        return tostring(k)
    end

    -- Params and tags are strings: scalars are turned into one, anything
    -- else (a table would be stored as 'table: 0x...') is refused.
    local function valstr(fn, what, k, v)
        local t = type(v)
        if t ~= "string" and t ~= "number" and t ~= "boolean" and t ~= "nil" then
            error(string.format("%s: value of %s '%s' must be a string, number or boolean, got %s",
                fn, what, tostring(k), t), 3)
        end
        if type(v) == "boolean" then return v and "True" or "False" end
        if math.type(v) == "float" and v == math.floor(v) and v == v and math.abs(v) < 1e16 then
            return M._pyfloat(v)
        end
        return tostring(v)
    end

    def("log_param", "log_param(key, value) -- Log an immutable parameter of the active run.",
        function(k, v)
            store():log_param(current(), keystr("log_param", k), valstr("log_param", "param", k, v))
            return v
        end)

    def("log_params", "log_params{key=value...} -- Log several parameters.",
        function(t)
            if type(t) ~= "table" then error("log_params: expected a table of key = value", 2) end
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
            for i, k in ipairs(keys) do store():log_param(id, k, vals[i]) end
        end)

    local function metric_value(fn, k, v)
        if type(v) ~= "number" then
            error(string.format("%s: value of metric '%s' must be a number, got %s",
                fn, tostring(k), type(v)), 3)
        end
        return v
    end

    local function step_value(fn, step)
        if step == nil then return 0 end
        local s = math.tointeger(step)
        if not s then error(fn .. ": step must be an integer, got " .. tostring(step), 3) end
        return s
    end

    def("log_metric", "log_metric(key, value [, step]) -- Log one point of a metric's history.",
        function(k, v, step)
            store():log_metric(current(), keystr("log_metric", k),
                metric_value("log_metric", k, v), nil, step_value("log_metric", step))
        end)

    def("log_metrics", "log_metrics({key=value...} [, step]) -- Log several metrics at one step.",
        function(t, step)
            if type(t) ~= "table" then error("log_metrics: expected a table of key = number", 2) end
            local id, s, st = current(), store(), step_value("log_metrics", step)
            local now = M._now_ms()
            local keys = {}
            for k in pairs(t) do keys[#keys + 1] = keystr("log_metrics", k) end
            table.sort(keys)
            for _, k in ipairs(keys) do
                s:log_metric(id, k, metric_value("log_metrics", k, t[k]), now, st)
            end
        end)

    def("set_tag", "set_tag(key, value) -- Set a tag of the active run.",
        function(k, v) store():set_tag(current(), keystr("set_tag", k), valstr("set_tag", "tag", k, v)) end)

    def("set_tags", "set_tags{key=value...} -- Set several tags.",
        function(t)
            local id = current()
            for k, v in pairs(t) do store():set_tag(id, keystr("set_tags", k), valstr("set_tags", "tag", k, v)) end
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

    ------------------------------------------------------------- artifacts

    local function basename(p) return (p:gsub("/+$", ""):match("([^/]+)$")) end

    local function artifact_dir(artifact_path)
        local id = current()
        local root = store():get_run(id).info.artifact_uri
        if artifact_path and artifact_path ~= "" then
            if artifact_path:find("%.%.") or artifact_path:sub(1, 1) == "/" then
                error("artifact_path '" .. artifact_path .. "' must be relative and without '..'", 3)
            end
            return root .. "/" .. artifact_path:gsub("/+$", "")
        end
        return root
    end

    local function write_artifact(file, data)
        if type(file) ~= "string" or file == "" then
            error("artifact file name must be a non-empty string", 3)
        end
        local dir, name = file:match("^(.*)/([^/]+)$")
        local parent = artifact_dir(dir)
        local target = parent .. "/" .. (name or file)
        local ok, err = fs.mkdir_p(parent)
        if ok then ok, err = fs.write_file(target, data) end
        if not ok then error(err, 3) end
        return target
    end

    def("log_artifact", "log_artifact(path [, artifact_path]) -- Copy a file into the run's artifacts.",
        function(path, artifact_path)
            local ok, err = M._copy(path, artifact_dir(artifact_path) .. "/" .. basename(path))
            if not ok then error("log_artifact: " .. err, 2) end
        end)

    def("log_artifacts", "log_artifacts(dir [, artifact_path]) -- Copy a directory's files into the artifacts.",
        function(dir, artifact_path)
            local files, err = M._list_files(dir)
            if not files or (#files == 0 and not fs.is_dir(dir)) then
                error("log_artifacts: " .. (err or (dir .. ": no such directory")), 2)
            end
            local ok, e2 = M._copy(dir, artifact_dir(artifact_path))
            if not ok then error("log_artifacts: " .. e2, 2) end
        end)

    def("log_text", "log_text(text, artifact_file) -- Save a string as an artifact.",
        function(text, file) write_artifact(file, tostring(text)) end)


    def("log_dict", "log_dict(table, artifact_file) -- Save a table as JSON (.json) or YAML (.yaml/.yml).",
        function(t, file)
            if type(t) ~= "table" then error("log_dict: expected a table, got " .. type(t), 2) end
            -- as MLflow: yaml.safe_dump(default_flow_style=False) or
            -- json.dumps(indent=2)
            local ok, text
            if type(file) == "string" and file:match("%.ya?ml$") then
                ok, text = pcall(fs.yaml, t)
            else
                ok, text = pcall(json.encode, t, 2)
            end
            if not ok then error("log_dict: " .. text, 2) end
            write_artifact(file, text)
        end)

    local function figure_svg(fig)
        local ok, svg
        if type(fig) == "string" then return fig end
        local mt = getmetatable(fig)
        local has_svg = (type(fig) == "table" or type(fig) == "userdata") and
            ((type(fig) == "table" and fig.svg) or (mt and mt.__index and
            (type(mt.__index) == "table" and mt.__index.svg or type(mt.__index) == "function" and fig.svg)))
        if has_svg then
            ok, svg = pcall(fig.svg, fig)
            if ok and type(svg) == "string" then return svg end
        end
        if mt and mt.__display then
            local d = mt.__display(fig, { width = 80, height = 20 })
            if type(d) == "table" and d.svg then return d.svg end
        end
        error("log_figure: the figure has no :svg() method and no svg in its __display", 3)
    end

    def("log_figure", "log_figure(plot, artifact_file) -- Save a plot as SVG (its :svg() or __display().svg).",
        function(fig, file)
            if type(file) ~= "string" or not file:match("%.svg$") then
                error("log_figure: artifact file must end in .svg, got " .. tostring(file), 2)
            end
            write_artifact(file, figure_svg(fig))
        end)

    def("log_image", "log_image(svg_or_plot, artifact_file) -- Same as log_figure.",
        function(fig, file) M.log_figure(fig, file) end)

    def("list_artifacts", "list_artifacts([run_id]) -> {path...} -- Files under the run's artifacts.",
        function(id)
            local r = store():get_run(id or current())
            return M._list_files(r.info.artifact_uri) or {}
        end)

    ---------------------------------------------------------------- models

    local function random_hex()
        local f = io.open("/dev/urandom", "rb")
        local b = f and f:read(16)
        if f then f:close() end
        if not b or #b < 16 then
            b = ""
            for _ = 1, 16 do b = b .. string.char(math.random(0, 255)) end
        end
        return (b:gsub(".", function(c) return string.format("%02x", c:byte()) end))
    end

    local function utc_now()
        local ms = M._now_ms()
        return os.date("!%Y-%m-%d %H:%M:%S", ms // 1000) .. string.format(".%06d", (ms % 1000) * 1000)
    end

    -- MLmodel's signature: each part a JSON string, as MLflow stores it.
    local function signature(model)
        if type(model.signature) ~= "function" then return nil end
        local ok, sig = pcall(model.signature, model)
        if not ok or type(sig) ~= "table" then return nil end
        local out = {}
        for _, part in ipairs({ "inputs", "outputs" }) do
            if sig[part] then
                local cols = json.array()
                for i, c in ipairs(sig[part]) do
                    local col = { name = c.name, type = c.type or "tensor" }
                    if c.dtype then
                        col["tensor-spec"] = { dtype = c.dtype, shape = json.array(c.shape or {}) }
                    elseif c.shape then
                        col.shape = json.array(c.shape)
                    end
                    cols[i] = col
                end
                out[part] = json.encode(cols)
            end
        end
        return next(out) and out or nil
    end

    def("log_model",
        "log_model(model, artifact_path [, {registered_model_name=}]) -> {model_uri=, run_id=, ...} -- Save a model (model:save(dir), model._flavor) as an MLmodel directory.",
        function(model, artifact_path, opts)
            artifact_path = artifact_path or "model"
            opts = opts or {}
            if (type(model) ~= "table" and type(model) ~= "userdata") or type(model.save) ~= "function" then
                error("log_model: the model needs a save(dir) method", 2)
            end
            local flavor = model._flavor
            if type(flavor) ~= "string" then
                error("log_model: the model needs a string field _flavor ('keras' or 'nn')", 2)
            end
            local id = current()
            local dir = artifact_dir(artifact_path)
            local ok, err = pcall(model.save, model, dir)
            if not ok then error("log_model: " .. flavor .. " model:save failed: " .. tostring(err), 2) end
            local uuid = random_hex()
            local meta = {
                artifact_path = artifact_path,
                flavors = { [flavor] = { loader_module = "lualab." .. flavor,
                    lualab_version = tostring((lualab and lualab.version) or "0.1") } },
                model_uuid = uuid,
                run_id = id,
                signature = signature(model),
                utc_time_created = utc_now(),
            }
            local wok, werr = fs.write_file(dir .. "/MLmodel", fs.yaml(meta))
            if not wok then error("log_model: " .. werr, 2) end
            local info = { model_uri = "runs:/" .. id .. "/" .. artifact_path, run_id = id,
                artifact_path = artifact_path, flavors = { [flavor] = true }, model_uuid = uuid }
            if opts.registered_model_name then
                info.registered_model_version = M.register_model(info.model_uri, opts.registered_model_name).version
            end
            return info
        end)

    -- A local model directory: a plain path, or file:///abs/path,
    -- file://localhost/abs/path, file:rel/path (%XX escapes decoded).
    local function local_model_dir(uri)
        local path = uri
        if uri:match("^file:") then
            path = uri:match("^file://localhost(/.*)$") or uri:match("^file://(/.*)$")
            if not path and uri:match("^file://") then
                error("unsupported model URI '" .. uri .. "' (a file:// URI names a local path: file:///abs/path)", 4)
            end
            path = (path or uri:sub(6)):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
        end
        path = path:gsub("(.)/+$", "%1")
        if path == "" then error("empty model path", 4) end
        if not fs.is_dir(path) then
            error("model directory '" .. path .. "' does not exist" ..
                (fs.exists(path) and " (it is a file)" or ""), 4)
        end
        return path
    end

    local function parse_model_uri(uri)
        if type(uri) ~= "string" then error("model URI must be a string", 3) end
        if uri:match("^file:") or not uri:match("^%a[%w+.-]*:") then
            return local_model_dir(uri), nil
        end
        local s = store()
        local run_id, path = uri:match("^runs:/([^/]+)/(.+)$")
        if run_id then
            local r = s:get_run(run_id)
            return r.info.artifact_uri .. "/" .. path:gsub("/+$", ""), nil
        end
        local name, rest = uri:match("^models:/([^/@]+)(.*)$")
        if not name then
            error("unsupported model URI '" .. uri .. "' (expected runs:/<run_id>/<path>, models:/<name>/<version|stage|latest>, models:/<name>@<alias>, a directory or file:///abs/path)", 3)
        end
        local v
        if rest:match("^@") then
            v = s:model_version(name, "alias", rest:sub(2))
        elseif rest:match("^/%d+$") then
            v = s:model_version(name, "version", tonumber(rest:sub(2)))
        elseif rest == "/latest" or rest == "" then
            v = s:model_version(name, "latest")
        elseif rest:match("^/%a+$") then
            v = s:model_version(name, "stage", rest:sub(2))
        else
            error("bad model URI '" .. uri .. "'", 3)
        end
        return parse_model_uri(v.source), v
    end
    M._model_dir = function(uri) return (parse_model_uri(uri)) end

    -- MLmodel is read in C (src/model/mlmodel.c), as C scoring reads it.
    local function read_mlmodel(dir)
        local meta, err = require("lualab._model").read_mlmodel(dir)
        if not meta then error(err, 3) end
        return meta
    end
    M._read_mlmodel = read_mlmodel

    M.flavors.keras = {
        load = function(dir) return require("lualab.keras").models.load_model(dir) end,
    }
    -- nn models: an nn.Sequential saved with config.json loads as the
    -- model (nn.load_model); a directory holding only a .safetensors file
    -- (a state dict) loads as the state dict (module:load_state_dict(sd)
    -- puts it into a module).
    M.flavors.nn = {
        load = function(dir)
            local ok, nn = pcall(require, "lualab.nn")
            if not ok or type(nn.load) ~= "function" then
                error("load_model: the nn flavor needs nn.load, which this build lacks", 2)
            end
            if fs.exists(dir .. "/config.json") then
                return nn.load_model(dir)
            end
            for _, f in ipairs(M._list_files(dir) or {}) do
                if f:match("%.safetensors$") then
                    local sd, err = nn.load(dir .. "/" .. f)
                    if not sd then error("load_model: " .. err, 2) end
                    return sd
                end
            end
            error("load_model: no .safetensors file in " .. dir, 2)
        end,
    }

    -- Predict-only loading of any logged model, scored in C without Lua
    -- (src/model), as MLflow's mlflow.pyfunc.load_model.
    M.pyfunc = {}
    M.pyfunc.load_model = lualab.doc(function(uri)
        local m, e = require("lualab._model").load(parse_model_uri(uri))
        if not m then error("load_model: " .. e, 2) end
        return m
    end, "mlflow.pyfunc.load_model(uri) -> Model -- Load a logged model (any URI load_model takes) for scoring in C; Model:predict(Tensor|Frame).")

    def("load_model",
        "load_model(uri) -> model -- Load runs:/ID/model, models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME@ALIAS, a model directory or file:///abs/dir through its flavor's loader (mlflow.flavors[name].load).",
        function(uri)
            local dir = parse_model_uri(uri)
            local meta = read_mlmodel(dir)
            for _, fl in ipairs(meta.flavor_names) do
                local h = M.flavors[fl]
                if h and type(h.load) == "function" then return h.load(dir, meta) end
            end
            error(string.format("load_model: no loader for flavor(s) %s of %s (register one in mlflow.flavors)",
                table.concat(meta.flavor_names, ", "), uri), 2)
        end)

    -------------------------------------------------------------- registry

    def("register_model", "register_model(model_uri, name) -> ModelVersion -- Register a logged model as the next version of name.",
        function(uri, name)
            if type(uri) ~= "string" then error("register_model: model URI must be a string", 2) end
            local s = store()
            local run_id = uri:match("^runs:/(%x+)/")
            if run_id then
                run_id = s:get_run(run_id).info.run_id
            end
            local dir = parse_model_uri(uri)
            if not fs.exists(dir .. "/MLmodel") then
                error("register_model: " .. uri .. " has no MLmodel (log it with mlflow.log_model first)", 2)
            end
            local v = s:register(name, uri, run_id)
            print(string.format("mlflow: registered model '%s' version %d", name, v))
            return s:model_version(name, "version", v)
        end)

    def("create_registered_model", "create_registered_model(name) -- An empty registered model.",
        function(name) store():create_model(name, false) end)

    def("get_model_version", "get_model_version(name, version) -> ModelVersion",
        function(name, version) return store():model_version(name, "version", math.tointeger(tonumber(version)) or -1) end)

    def("get_model_version_by_alias", "get_model_version_by_alias(name, alias) -> ModelVersion",
        function(name, alias) return store():model_version(name, "alias", alias) end)

    def("search_model_versions", "search_model_versions(name) -> {ModelVersion...}",
        function(name) return store():model_versions(name) end)

    def("search_registered_models", "search_registered_models() -> {RegisteredModel...}",
        function() return store():list_models() end)

    def("set_registered_model_alias", "set_registered_model_alias(name, alias, version) -- Point alias at a version.",
        function(name, alias, version)
            store():set_alias(name, alias, math.tointeger(tonumber(version)) or -1)
        end)

    def("delete_registered_model_alias", "delete_registered_model_alias(name, alias)",
        function(name, alias) store():delete_alias(name, alias) end)

    def("transition_model_version_stage",
        "transition_model_version_stage(name, version, stage [, archive_existing_versions]) -> ModelVersion",
        function(name, version, stage, archive)
            local v = math.tointeger(tonumber(version)) or -1
            store():transition(name, v, stage, archive and true or false)
            return store():model_version(name, "version", v)
        end)

    ---------------------------------------------------------------- search

    local function text_table(columns, rows, width)
        width = width or 100
        local w = {}
        local cells = {}
        for c, name in ipairs(columns) do w[c] = math.min(#name, 24) end
        for r, row in ipairs(rows) do
            cells[r] = {}
            for c, name in ipairs(columns) do
                local v = row[name]
                local s
                if v == nil then s = ""
                elseif math.type(v) == "float" then s = string.format("%.6g", v)
                else s = tostring(v) end
                if name == "run_id" then s = s:sub(1, 8) end
                if #s > 24 then s = s:sub(1, 23) .. "~" end
                cells[r][c] = s
                if #s > w[c] then w[c] = #s end
            end
        end
        local shown, used = {}, 0
        for c = 1, #columns do
            if used + w[c] + 2 > width and #shown > 0 then break end
            shown[#shown + 1] = c
            used = used + w[c] + 2
        end
        local function line(vals)
            local parts = {}
            for i, c in ipairs(shown) do
                local s = vals[c]
                if #s > w[c] then s = s:sub(1, w[c]) end
                parts[i] = s .. string.rep(" ", w[c] - #s)
            end
            return (table.concat(parts, "  "):gsub("%s+$", ""))
        end
        local head = {}
        for c, name in ipairs(columns) do head[c] = name end
        local out = { line(head) }
        local rule = {}
        for c = 1, #columns do rule[c] = string.rep("-", w[c]) end
        out[2] = line(rule)
        for r = 1, #rows do out[#out + 1] = line(cells[r]) end
        if #shown < #columns then
            out[#out + 1] = string.format("(%d of %d columns shown)", #shown, #columns)
        end
        out[#out + 1] = string.format("[%d runs x %d columns]", #rows, #columns)
        return table.concat(out, "\n")
    end
    M._text_table = text_table

    local Rows = {}
    local RowsMT = { __index = Rows, __name = "lualab.Runs" }
    function Rows:column(name)
        local out = {}
        for i, row in ipairs(self) do out[i] = row[name] end
        return out
    end
    RowsMT.__display = function(self, opts)
        return { text = text_table(self.columns, self, opts and opts.width), kind = "frame" }
    end
    RowsMT.__tostring = function(self) return text_table(self.columns, self, 100) end

    def("search_runs",
        "search_runs{experiment_names=, experiment_ids=, filter=, order_by=, max_results=, as_table=} -> Frame -- Runs as a dataframe (columns run_id, ..., status, start_time, metrics.*, params.*, tags.*); as_table=true gives Lua rows.",
        function(opts)
            opts = opts or {}
            local s = store()
            local ids = {}
            for _, name in ipairs(opts.experiment_names or {}) do
                local e = s:get_experiment(name)
                if not e then error("search_runs: experiment '" .. tostring(name) .. "' not found", 2) end
                ids[#ids + 1] = e.experiment_id
            end
            for _, id in ipairs(opts.experiment_ids or {}) do ids[#ids + 1] = math.tointeger(tonumber(id)) end
            if #ids == 0 and not opts.search_all_experiments then ids[1] = default_experiment() end
            local order = opts.order_by
            if type(order) == "string" then order = { order } end
            local runs = s:search(ids, opts.filter_string or opts.filter, order or {}, opts.max_results or 100000)
            local fixed = { "run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "artifact_uri" }
            local seen, extra = {}, {}
            local rows = setmetatable({}, RowsMT)
            for i, r in ipairs(runs) do
                local row = {}
                for _, c in ipairs(fixed) do row[c] = r.info[c] end
                for kind, tbl in pairs({ metrics = r.data.metrics, params = r.data.params, tags = r.data.tags }) do
                    for k, v in pairs(tbl) do
                        local col = kind .. "." .. k
                        row[col] = v
                        if not seen[col] then seen[col] = true; extra[#extra + 1] = col end
                    end
                end
                rows[i] = row
            end
            local rank = { metrics = 1, params = 2, tags = 3 }
            table.sort(extra, function(a, b)
                local ka, kb = rank[a:match("^(%a+)")], rank[b:match("^(%a+)")]
                if ka ~= kb then return ka < kb end
                return a < b
            end)
            local cols = {}
            for _, c in ipairs(fixed) do cols[#cols + 1] = c end
            for _, c in ipairs(extra) do cols[#cols + 1] = c end
            rows.columns = cols
            -- a dataframe Frame when the frame module is there (as_table=true
            -- or no frame module: the rows as Lua tables)
            local ok, df = pcall(require, "lualab.df")
            if opts.as_table or not ok or type(df) ~= "table" or type(df.frame) ~= "function" then
                return rows
            end
            local spec = {}
            for _, c in ipairs(cols) do
                local typ = c:match("^metrics%.") and "float"
                    or ((c == "start_time" or c == "end_time" or c == "experiment_id") and "int")
                    or "string"
                local vals = {}
                for i, row in ipairs(rows) do
                    local v = row[c]
                    if v == nil then v = df.NA end
                    vals[i] = v
                end
                spec[#spec + 1] = { c, df.column(vals, typ, c) }
            end
            return df.frame(spec)
        end)

    ------------------------------------------------------------- viewers

    local function view(text)
        return setmetatable({ __display_text = function() return text end },
            { __display = function() return { text = text, kind = "text" } end,
              __tostring = function() return text end })
    end

    def("show_run", "show_run(run_id) -> view -- Params, latest metrics, tags, artifacts and metric charts of a run.",
        function(id) return view(store():render_run(tostring(id), 100)) end)

    def("compare", "compare{run_id, run_id...} -> view -- Runs side by side with overlaid metric charts.",
        function(ids)
            if type(ids) ~= "table" or #ids < 1 then error("compare: expected a list of run ids", 2) end
            local list = {}
            for i, id in ipairs(ids) do
                list[i] = type(id) == "table" and id.info and id.info.run_id or tostring(id)
            end
            return view(store():render_compare(list, 100))
        end)

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

    return M
end
