-- lualab._mlflow.models: log_model (MLmodel through the YAML writer), model URIs
-- (runs:/, models:/, directories, file://), load_model and its flavor
-- loaders, pyfunc, and the model registry.
-- Part of the mlflow module (lualab._mlflow), which calls the function
-- returned here with the module table and its shared helpers.
local raise = require("lualab._args").raise
return function(M, shared)
    local state, def, store, current, json, fs, artifact_dir = shared.state, shared.def, shared.store, shared.current, shared.json, shared.fs, shared.artifact_dir

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
                raise("log_model: the model needs a save(dir) method")
            end
            local flavor = model._flavor
            if type(flavor) ~= "string" then
                raise("log_model: the model needs a string field _flavor ('keras' or 'nn')")
            end
            local id = current()
            local dir = artifact_dir(artifact_path)
            local ok, err = pcall(model.save, model, dir)
            if not ok then raise("log_model: " .. flavor .. " model:save failed: " .. tostring(err)) end
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
            if not wok then raise("log_model: " .. werr) end
            local info = { model_uri = "runs:/" .. id .. "/" .. artifact_path, run_id = id,
                artifact_path = artifact_path, flavors = { [flavor] = true }, model_uuid = uuid }
            if opts.registered_model_name then
                info.registered_model_version = M.register_model(info.model_uri, opts.registered_model_name).version
            end
            return info
        end)

    -- A model URI to its directory: resolved in C (src/track/model_uri.c),
    -- the one resolver the scoring server uses too: models:/NAME/VERSION,
    -- models:/NAME/STAGE, models:/NAME/latest, models:/NAME@ALIAS,
    -- runs:/RUN_ID/PATH, file:///abs/path or a directory.
    local function parse_model_uri(uri)
        if type(uri) ~= "string" then raise("model URI must be a string") end
        local dir, err = M._model_uri_dir(uri, M.get_tracking_uri())
        if not dir then raise(err) end
        return dir
    end
    M._model_dir = function(uri) return (parse_model_uri(uri)) end

    -- MLmodel is read in C (src/model/mlmodel.c), as C scoring reads it.
    local function read_mlmodel(dir)
        local meta, err = require("lualab._model").read_mlmodel(dir)
        if not meta then raise(err) end
        return meta
    end
    M._read_mlmodel = read_mlmodel

    M.flavors.keras = {
        load = lualab.doc(function(dir) return require("lualab.keras").models.load_model(dir) end,
            "mlflow.flavors.keras.load(dir) -> model -- The keras flavor's loader: keras.models.load_model(dir) of a logged model's directory (used by mlflow.load_model)."),
    }
    -- nn models: an nn.Sequential saved with config.json loads as the
    -- model (nn.load_model); a directory holding only a .safetensors file
    -- (a state dict) loads as the state dict (module:load_state_dict(sd)
    -- puts it into a module).
    M.flavors.nn = {
        load = function(dir)
            local ok, nn = pcall(require, "lualab.nn")
            if not ok or type(nn.load) ~= "function" then
                raise("load_model: the nn flavor needs nn.load, which this build lacks")
            end
            if fs.exists(dir .. "/config.json") then
                return nn.load_model(dir)
            end
            for _, f in ipairs(M._list_files(dir) or {}) do
                if f:match("%.safetensors$") then
                    local sd, err = nn.load(dir .. "/" .. f)
                    if not sd then raise("load_model: " .. err) end
                    return sd
                end
            end
            raise("load_model: no .safetensors file in " .. dir)
        end,
    }
    lualab.doc(M.flavors.nn.load,
        "mlflow.flavors.nn.load(dir) -> model or state dict -- The nn flavor's loader: nn.load_model(dir) when config.json is there, else the directory's .safetensors state dict (used by mlflow.load_model).")

    -- Predict-only loading of any logged model, scored in C without Lua
    -- (src/model), as MLflow's mlflow.pyfunc.load_model.
    M.pyfunc = {}
    M.pyfunc.load_model = lualab.doc(function(uri)
        local m, e = require("lualab._model").load(parse_model_uri(uri))
        if not m then raise("load_model: " .. e) end
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
            raise(string.format("load_model: no loader for flavor(s) %s of %s (register one in mlflow.flavors)",
                table.concat(meta.flavor_names, ", "), uri))
        end)

    -------------------------------------------------------------- registry

    def("register_model", "register_model(model_uri, name) -> ModelVersion -- Register a logged model as the next version of name.",
        function(uri, name)
            if type(uri) ~= "string" then raise("register_model: model URI must be a string") end
            local s = store()
            local run_id = uri:match("^runs:/(%x+)/")
            if run_id then
                run_id = s:get_run(run_id).info.run_id
            end
            local dir = parse_model_uri(uri)
            if not fs.exists(dir .. "/MLmodel") then
                raise("register_model: " .. uri .. " has no MLmodel (log it with mlflow.log_model first)")
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
end
