-- The `mlflow` module: fluent tracking API, artifacts, models, registry,
-- autolog hooks and the `lualab runs` / `lualab models` commands.

local function tmpdir()
    local p = os.tmpname()
    os.remove(p)
    assert(os.execute("mkdir -p '" .. p .. "'"))
    return p
end

local function slurp(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
end

local function errmsg(f, ...)
    local ok, e = pcall(f, ...)
    assert(not ok, "expected an error")
    return tostring(e)
end

-- A fake model with the interface log_model and load_model rely on.
local function fake_model(tag)
    return {
        _flavor = "fake",
        tag = tag,
        save = function(self, dir)
            os.execute("mkdir -p '" .. dir .. "'")
            local f = assert(io.open(dir .. "/weights.txt", "w"))
            f:write(self.tag)
            f:close()
        end,
        signature = function()
            return { inputs = { { name = "x", type = "double", shape = { -1, 4 } } },
                outputs = { { name = "y", type = "double", shape = { -1, 1 } } } }
        end,
        summary_text = function() return "Model: fake\nTotal params: 12" end,
    }
end

describe("mlflow", function()
    local dir
    before_each(function()
        while mlflow.active_run() do mlflow.end_run() end
        dir = tmpdir()
        mlflow.set_tracking_uri("sqlite:///" .. dir .. "/t.db")
        mlflow.flavors.fake = {
            load = function(path)
                return { tag = slurp(path .. "/weights.txt"), predict = function(_, x) return x * 2 end }
            end,
        }
    end)
    after_each(function()
        while mlflow.active_run() do mlflow.end_run() end
        mlflow.flavors.fake = nil
        os.execute("rm -rf '" .. dir .. "'")
    end)

    it("chooses the database from the URI and rejects others", function()
        assert.equal("sqlite:///" .. dir .. "/t.db", mlflow.get_tracking_uri())
        assert.equal("tracking URI 'http://x:5000': only sqlite:///PATH is supported",
            errmsg(mlflow.set_tracking_uri, "http://x:5000"))
        mlflow.start_run():end_run()
        assert.truthy(io.open(dir .. "/t.db"))
    end)

    it("creates experiments once and finds them by name", function()
        assert.is_nil(mlflow.get_experiment_by_name("battery"))
        local e = mlflow.set_experiment("battery")
        assert.equal(1, e.experiment_id)
        assert.equal("battery", mlflow.set_experiment("battery").name)
        assert.equal(1, mlflow.get_experiment_by_name("battery").experiment_id)
        assert.equal(dir .. "/mlartifacts/1", e.artifact_location)
        assert.equal("experiment 'battery' already exists",
            errmsg(mlflow.create_experiment, "battery"))
    end)

    it("ends a <close> run FINISHED, or FAILED when the scope errors", function()
        mlflow.set_experiment("close")
        local id
        do
            local run <close> = mlflow.start_run { run_name = "ok", tags = { team = "fleet" } }
            id = run.info.run_id
            assert.equal(32, #id)
            assert.equal(run, mlflow.active_run())
            assert.equal("RUNNING", run.info.status)
        end
        assert.is_nil(mlflow.active_run())
        local r = mlflow.get_run(id)
        assert.equal("FINISHED", r.info.status)
        assert.equal("ok", r.data.tags["mlflow.runName"])
        assert.equal("fleet", r.data.tags.team)
        assert.truthy(r.info.end_time >= r.info.start_time)
        local failed
        local ok = pcall(function()
            local run <close> = mlflow.start_run { run_name = "bad" }
            failed = run.info.run_id
            error("diverged")
        end)
        assert.is_false(ok)
        assert.equal("FAILED", mlflow.get_run(failed).info.status)
        assert.is_nil(mlflow.active_run())
    end)

    it("nests runs only when asked", function()
        local outer = mlflow.start_run { run_name = "outer" }
        local msg = errmsg(mlflow.start_run, { run_name = "inner" })
        assert.truthy(msg:find("Run with UUID " .. outer.info.run_id .. " is already active", 1, true))
        local inner = mlflow.start_run { run_name = "inner", nested = true }
        assert.equal(outer.info.run_id, mlflow.get_run(inner.info.run_id).data.tags["mlflow.parentRunId"])
        mlflow.end_run()
        assert.equal(outer, mlflow.active_run())
        mlflow.end_run("KILLED")
        assert.equal("KILLED", mlflow.get_run(outer.info.run_id).info.status)
    end)

    it("keeps params immutable and metrics as full histories", function()
        local run <close> = mlflow.start_run()
        local id = run.info.run_id
        mlflow.log_param("lr", 0.001)
        mlflow.log_param("lr", 0.001)
        mlflow.log_params { epochs = 5, optimizer = "adam", shuffle = true }
        assert.equal("param 'lr' was already logged as '0.001' for run " .. id ..
            "; params are immutable, cannot change it to '0.01'",
            errmsg(mlflow.log_param, "lr", 0.01))
        assert.equal("log_param: value of param 'layers' must be a string, number or boolean, got table",
            errmsg(mlflow.log_param, "layers", { 64, 32 }))
        assert.equal("log_param: value of param 'act' must be a string, number or boolean, got function",
            errmsg(mlflow.log_param, "act", print))
        assert.equal("log_params: value of param 'units' must be a string, number or boolean, got table",
            errmsg(mlflow.log_params, { units = { 1 } }))
        assert.equal("set_tag: value of tag 'who' must be a string, number or boolean, got table",
            errmsg(mlflow.set_tag, "who", {}))
        for step = 0, 4 do mlflow.log_metric("loss", 1 / (step + 1), step) end
        mlflow.log_metrics({ acc = 0.5, val_acc = 0.25 }, 7)
        assert.equal("log_metric: value of metric 'loss' must be a number, got string",
            errmsg(mlflow.log_metric, "loss", "high"))
        assert.equal("invalid metric name 'a*b': only letters, digits, '_', '-', '.', ' ', ':' and '/' are allowed",
            errmsg(mlflow.log_metric, "a*b", 1))
        local r = mlflow.get_run(id)
        assert.same({ lr = "0.001", epochs = "5", optimizer = "adam", shuffle = "True" }, r.data.params)
        assert.equal(0.2, r.data.metrics.loss)
        assert.equal(0.25, r.data.metrics.val_acc)
        local h = mlflow.get_metric_history(id, "loss")
        assert.equal(5, #h)
        assert.equal(1.0, h[1].value)
        assert.equal(4, h[5].step)
        assert.equal(7, mlflow.get_metric_history(id, "acc")[1].step)
        assert.equal("run 'zzzzzz' not found", errmsg(mlflow.get_run, "zzzzzz"))
    end)

    it("writes buffered points in the background within a moment", function()
        local run = mlflow.start_run { run_name = "live" }
        mlflow.log_metric("live_loss", 0.125, 1)
        os.execute("sleep 0.6") -- past LL_TRACK_FLUSH_MS (200 ms) and a wake-up
        -- another process sees the point while this run is still open
        local out, rc = run_cmd(LUALAB_BIN .. " runs show live --tracking-uri 'sqlite:///" .. dir .. "/t.db'")
        assert.equal(0, rc)
        assert.truthy(out:find("live_loss%s+0.125"))
        assert.truthy(out:find("status RUNNING", 1, true))
        mlflow.end_run()
        assert.equal(run.info.run_id, mlflow.last_active_run().info.run_id)
    end)

    it("searches runs with MLflow's filter syntax into a table", function()
        mlflow.set_experiment("search")
        local lrs = { "0.1", "0.01", "0.001" }
        for i, lr in ipairs(lrs) do
            local run <close> = mlflow.start_run { run_name = "r" .. i }
            mlflow.log_param("lr", lr)
            mlflow.log_metric("val_accuracy", 0.8 + 0.05 * i)
            mlflow.log_metric("val_loss", 1 - (0.8 + 0.05 * i))
        end
        local rows = mlflow.search_runs {
            experiment_names = { "search" },
            filter = "metrics.val_accuracy > 0.9 and params.lr = '0.001'",
        }
        assert.equal(1, #rows)
        assert.equal("r3", rows[1].run_name)
        assert.equal("FINISHED", rows[1].status)
        assert.equal("0.001", rows[1]["params.lr"])
        assert.near(0.95, rows[1]["metrics.val_accuracy"], 1e-12)
        local cols = { "run_id", "experiment_id", "run_name", "status", "start_time", "end_time",
            "artifact_uri", "metrics.val_accuracy", "metrics.val_loss", "params.lr",
            "tags.mlflow.runName", "tags.mlflow.source.name", "tags.mlflow.source.type", "tags.mlflow.user" }
        local all = mlflow.search_runs { experiment_names = { "search" }, order_by = { "metrics.val_loss ASC" } }
        -- a dataframe Frame (the frame module is part of the build)
        assert.equal("lualab.Frame", getmetatable(all).__name)
        assert.same(cols, all:columns())
        assert.same({ 3, 14 }, { all:shape() })
        assert.same({ "r3", "r2", "r1" }, { all[1].run_name, all[2].run_name, all[3].run_name })
        assert.near(0.9, all[2]["metrics.val_accuracy"], 1e-12)
        assert.equal("float", all:dtypes()["metrics.val_loss"])
        assert.equal("int", all:dtypes()["start_time"])
        -- the Lua rows on request
        local t = mlflow.search_runs { experiment_names = { "search" }, order_by = { "metrics.val_loss ASC" },
            as_table = true }
        assert.same({ "r3", "r2", "r1" }, t:column("run_name"))
        assert.same(cols, t.columns)
        local shown = getmetatable(t).__display(t, { width = 200 }).text
        assert.truthy(shown:find("[3 runs x 14 columns]", 1, true))
        assert.equal(0, #mlflow.search_runs { experiment_names = { "search" }, filter = "params.lr = 'none'" })
        assert.equal(1, #mlflow.search_runs { experiment_names = { "search" }, max_results = 1 })
        local msg = errmsg(mlflow.search_runs, { experiment_names = { "search" }, filter = "metrics.val_loss << 1" })
        assert.equal('invalid filter: expected a number at column 19 of "metrics.val_loss << 1"', msg)
        assert.equal("search_runs: experiment 'nope' not found",
            errmsg(mlflow.search_runs, { experiment_names = { "nope" } }):gsub("^.-:%d+: ", ""))
    end)

    it("logs artifacts: files, directories, text, JSON and figures", function()
        local run <close> = mlflow.start_run()
        local src = dir .. "/src"
        os.execute("mkdir -p '" .. src .. "/sub'")
        local f = io.open(src .. "/a.csv", "w"); f:write("x\n1\n"); f:close()
        f = io.open(src .. "/sub/b.txt", "w"); f:write("b"); f:close()
        mlflow.log_artifact(src .. "/a.csv")
        mlflow.log_artifact(src .. "/a.csv", "data")
        mlflow.log_artifacts(src, "all")
        mlflow.log_text("hello\n", "notes/hello.txt")
        mlflow.log_dict({ lr = 0.001, layers = { 64, 32 }, name = "lstm", ok = true }, "config.json")
        mlflow.log_figure({ svg = function() return "<svg>curve</svg>" end }, "curve.svg")
        local mt = { __display = function() return { text = "x", svg = "<svg>d</svg>" } end }
        mlflow.log_figure(setmetatable({}, mt), "d.svg")
        assert.same({ "a.csv", "all/a.csv", "all/sub/b.txt", "config.json", "curve.svg", "d.svg",
            "data/a.csv", "notes/hello.txt" }, mlflow.list_artifacts())
        local root = run.info.artifact_uri
        assert.equal(dir .. "/mlartifacts/0/" .. run.info.run_id .. "/artifacts", root)
        assert.equal("hello\n", slurp(root .. "/notes/hello.txt"))
        assert.equal('{\n  "layers": [\n    64,\n    32\n  ],\n  "lr": 0.001,\n  "name": "lstm",\n  "ok": true\n}',
            slurp(root .. "/config.json"))
        assert.equal("<svg>curve</svg>", slurp(root .. "/curve.svg"))
        assert.equal("log_figure: artifact file must end in .svg, got x.png",
            errmsg(mlflow.log_figure, {}, "x.png"):gsub("^.-:%d+: ", ""))
        assert.truthy(errmsg(mlflow.log_artifact, dir .. "/missing.txt"):find("missing.txt: No such file", 1, true))
    end)

    it("logs, registers and loads models through flavor loaders", function()
        local run = mlflow.start_run { run_name = "train" }
        local info = mlflow.log_model(fake_model("v-one"), "model")
        mlflow.end_run()
        assert.equal("runs:/" .. run.info.run_id .. "/model", info.model_uri)
        local mlmodel = slurp(run.info.artifact_uri .. "/model/MLmodel")
        assert.truthy(mlmodel:find("^artifact_path: model\nflavors:\n  fake:\n"))
        assert.truthy(mlmodel:find("\nrun_id: " .. run.info.run_id .. "\n", 1, true))
        assert.truthy(mlmodel:find("\nmodel_uuid: %x+\n"))
        assert.truthy(mlmodel:find(
            "\nsignature:\n  inputs: '[{\"name\": \"x\", \"shape\": [-1, 4], \"type\": \"double\"}]'\n", 1, true))
        assert.truthy(mlmodel:find("\nutc_time_created: '%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d%.%d+'\n"))
        assert.equal("v-one", slurp(run.info.artifact_uri .. "/model/weights.txt"))

        local v1 = mlflow.register_model(info.model_uri, "battery")
        assert.equal(1, v1.version)
        local run2 = mlflow.start_run()
        local info2 = mlflow.log_model(fake_model("v-two"), "model", { registered_model_name = "battery" })
        mlflow.end_run()
        assert.equal(2, info2.registered_model_version)
        assert.equal(run2.info.run_id, mlflow.get_model_version("battery", 2).run_id)

        mlflow.set_registered_model_alias("battery", "champion", 1)
        local mv = mlflow.transition_model_version_stage("battery", 2, "Production")
        assert.equal("Production", mv.current_stage)
        assert.equal("v-one", mlflow.load_model("models:/battery/1").tag)
        assert.equal("v-two", mlflow.load_model("models:/battery/2").tag)
        assert.equal("v-one", mlflow.load_model("models:/battery@champion").tag)
        assert.equal("v-two", mlflow.load_model("models:/battery/Production").tag)
        assert.equal("v-two", mlflow.load_model("models:/battery/latest").tag)
        local m = mlflow.load_model("runs:/" .. run.info.run_id .. "/model")
        assert.equal("v-one", m.tag)
        assert.equal(6, m:predict(3))
        assert.same({ "champion" }, mlflow.get_model_version_by_alias("battery", "champion").aliases)
        assert.equal("model URI 'models:/battery/7': model 'battery' has no version 7",
            errmsg(mlflow.load_model, "models:/battery/7"))
        assert.equal("model URI 'models:/battery@gone': model 'battery' has no alias 'gone'",
            errmsg(mlflow.load_model, "models:/battery@gone"))
        assert.equal("model URI 's3://bucket/x': unsupported scheme (expected models:/, runs:/, file:// or a directory)",
            errmsg(mlflow.load_model, "s3://bucket/x"))
        -- local directories and file:// URIs, as MLflow takes them
        local mdir = run.info.artifact_uri .. "/model"
        assert.equal("v-one", mlflow.load_model(mdir).tag)
        assert.equal("v-one", mlflow.load_model(mdir .. "/").tag)
        assert.equal("v-one", mlflow.load_model("file://" .. mdir).tag)
        assert.equal("v-one", mlflow.load_model("file://localhost" .. mdir).tag)
        assert.equal("v-one", mlflow.load_model("file:" .. mdir:gsub("/model$", "/mod%%65l")).tag)
        assert.equal("model URI '" .. dir .. "/nope/model': no such directory (expected models:/NAME/VERSION, " ..
            "models:/NAME@ALIAS, runs:/RUN_ID/PATH or a directory)",
            errmsg(mlflow.load_model, dir .. "/nope/model"))
        assert.equal("model URI 'file://" .. dir .. "/nope': no such directory " .. dir .. "/nope",
            errmsg(mlflow.load_model, "file://" .. dir .. "/nope"))
        assert.equal("no MLmodel file in " .. dir, errmsg(mlflow.load_model, dir):gsub("^.-:%d+: ", ""))
        assert.equal("model URI 'file://host/x': a file URI names a local path (file:///abs/path)",
            errmsg(mlflow.load_model, "file://host/x"))
        mlflow.flavors.fake = nil
        assert.truthy(errmsg(mlflow.load_model, "models:/battery/1")
            :find("load_model: no loader for flavor(s) fake of models:/battery/1", 1, true))
        assert.truthy(errmsg(mlflow.log_model, {}, "m"):find("log_model: the model needs a save(dir) method", 1, true))
        assert.truthy(errmsg(mlflow.log_model, { save = function() end }, "m")
            :find("the model needs a string field _flavor", 1, true))
        local reg = mlflow.search_registered_models()
        assert.equal(1, #reg)
        assert.equal(2, reg[1].latest_version)
        assert.equal(1, reg[1].aliases.champion)
    end)

    it("autologs a fit through the keras hooks", function()
        assert.is_false(mlflow._autolog_enabled())
        mlflow.autolog()
        assert.is_true(mlflow._autolog_enabled())
        local model = fake_model("auto")
        mlflow._autolog_fit_start(model, { epochs = 3, batch_size = 32, optimizer = "adam",
            learning_rate = 0.01, loss = "mse", verbose = 0 })
        local run = mlflow.active_run()
        assert.truthy(run)
        for epoch = 1, 3 do
            mlflow._autolog_epoch_end(epoch, { loss = 1 / epoch, val_loss = 2 / epoch, note = "x" })
        end
        local history = { plot = function() return { svg = function() return "<svg>h</svg>" end } end }
        mlflow._autolog_fit_end(model, history)
        assert.is_nil(mlflow.active_run())
        local r = mlflow.get_run(run.info.run_id)
        assert.equal("FINISHED", r.info.status)
        assert.same({ epochs = "3", batch_size = "32", optimizer = "adam", learning_rate = "0.01", loss = "mse" },
            r.data.params)
        assert.equal(3, #mlflow.get_metric_history(run.info.run_id, "val_loss"))
        assert.equal(1 / 3, r.data.metrics.loss)
        assert.is_nil(r.data.metrics.note)
        assert.equal("Model: fake\nTotal params: 12", r.data.tags["mlflow.note.content"])
        local files = mlflow.list_artifacts(run.info.run_id)
        local want = { "model/MLmodel", "model/weights.txt", "model_summary.txt" }
        if package.preload["lualab.plot"] then table.insert(want, "training_curves.svg") end
        assert.same(want, files)
        -- inside a user's run autolog logs into it and leaves it open
        local mine = mlflow.start_run()
        mlflow._autolog_fit_start(model, { epochs = 1 })
        mlflow._autolog_fit_end(model, nil)
        assert.equal(mine, mlflow.active_run())
        mlflow.end_run()
        mlflow.autolog { disable = true }
        assert.is_false(mlflow._autolog_enabled())
    end)

    it("shows and compares runs as text", function()
        local ids = {}
        for i = 1, 2 do
            local run <close> = mlflow.start_run { run_name = "cmp" .. i }
            ids[i] = run.info.run_id
            mlflow.log_param("units", 16 * i)
            for s = 1, 10 do mlflow.log_metric("loss", i / s, s) end
            mlflow.log_text("x", "out/y.txt")
        end
        local text = tostring(mlflow.show_run(ids[1]))
        -- a Run displays as the same view in a notebook
        local run = mlflow.get_run(ids[1])
        assert.equal(text, getmetatable(run).__display(run, { width = 100 }))
        assert.truthy(text:find("Run cmp1 (" .. ids[1] .. ")", 1, true))
        assert.truthy(text:find("units  16", 1, true))
        assert.truthy(text:find("loss", 1, true))
        assert.truthy(text:find("█", 1, true)) -- the sparkline's top
        assert.truthy(text:find("\n  out/\n    y.txt\n", 1, true))
        local cmp = tostring(mlflow.compare { ids[1], ids[2] })
        assert.truthy(cmp:find("params.units  16", 1, true))
        -- one chart (plot/) with both runs' histories: a legend naming both
        assert.truthy(cmp:find("\n%s+step\n"))
        assert.truthy(cmp:find("cmp1%s+%S+ cmp2\n"))
        assert.truthy(text:find("\n%s+loss\n")) -- the history chart's title
    end)

    it("drives the runs and models commands", function()
        mlflow.set_experiment("cli")
        local id
        do
            local run <close> = mlflow.start_run { run_name = "cli-run" }
            id = run.info.run_id
            mlflow.log_metric("acc", 0.75)
            mlflow.log_param("lr", "0.1")
        end
        mlflow.flush()
        local uri = " --tracking-uri 'sqlite:///" .. dir .. "/t.db'"
        local out, rc = run_cmd(LUALAB_BIN .. " runs" .. uri)
        assert.equal(0, rc)
        assert.truthy(out:find("cli ", 1, true))
        out, rc = run_cmd(LUALAB_BIN .. " runs list -e cli" .. uri)
        assert.equal(0, rc)
        assert.truthy(out:find("cli-run", 1, true))
        assert.truthy(out:find("FINISHED", 1, true))
        assert.truthy(out:find("0.75", 1, true))
        out, rc = run_cmd(LUALAB_BIN .. " runs show " .. id:sub(1, 8) .. uri)
        assert.equal(0, rc)
        assert.truthy(out:find("lr  0.1", 1, true))
        out, rc = run_cmd(LUALAB_BIN .. " runs show nosuchrun" .. uri .. " 2>&1")
        assert.equal(1, rc)
        assert.equal("lualab: run 'nosuchrun' not found\n", out)
        out, rc = run_cmd(LUALAB_BIN .. " runs frobnicate" .. uri .. " 2>&1")
        assert.equal(2, rc)
        assert.equal("lualab: runs: unknown command frobnicate\nsee lualab runs --help\n", out)
        out, rc = run_cmd(LUALAB_BIN .. " runs export --mlflow '" .. dir .. "/ex'" .. uri)
        assert.equal(0, rc)
        assert.equal("0.1", slurp(dir .. "/ex/1/" .. id .. "/params/lr"))
        assert.truthy(slurp(dir .. "/ex/1/" .. id .. "/metrics/acc"):find("^%d+ 0.75 0\n$"))
        out, rc = run_cmd(LUALAB_BIN .. " models" .. uri)
        assert.equal(0, rc)
        assert.equal("(no registered models)\n", out)
        -- read-only commands never create a store
        for _, cmd in ipairs({ " runs", " runs list", " models" }) do
            out, rc = run_cmd(LUALAB_BIN .. cmd .. " --tracking-uri 'sqlite:///" .. dir .. "/typo/x.db' 2>&1")
            assert.equal(1, rc)
            assert.equal("lualab: no tracking store at " .. dir .. "/typo/x.db\n", out)
        end
        assert.falsy(io.open(dir .. "/typo/x.db"))
        assert.falsy(io.open(dir .. "/typo"))
        out, rc = run_cmd(LUALAB_BIN .. " models extra" .. uri .. " 2>&1")
        assert.equal(2, rc)
    end)
end)
