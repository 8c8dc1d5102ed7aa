-- mlflow.autolog with the real Keras-style fit (lualab.keras): the hooks'
-- contract end to end.  Pending when this build has no keras module.

describe("mlflow autolog with keras", function()
    if not package.preload["lualab.keras"] then
        pending("lualab.keras is not in this build (branch keras not merged)")
        return
    end

    it("logs params, per-epoch metrics, summary and a loadable model", function()
        local dir = os.tmpname()
        os.remove(dir)
        os.execute("mkdir -p '" .. dir .. "'")
        mlflow.set_tracking_uri("sqlite:///" .. dir .. "/k.db")
        mlflow.set_experiment("keras-autolog")
        mlflow.autolog()
        local K = require("lualab.keras")
        K.utils.set_random_seed(11)
        local x = nn.randn({ 64, 5, 3 })
        local y = x:sum(2):sum(1):gt(0)
        local m = K.Sequential { K.layers.GRU(4, { input_shape = { 5, 3 } }),
            K.layers.Dense(1, { activation = "sigmoid" }) }
        m:compile { optimizer = "adam", loss = "binary_crossentropy", metrics = { "accuracy" } }
        m:fit(x, y, { epochs = 3, batch_size = 16, verbose = 0, validation_split = 0.25 })
        mlflow.autolog { disable = true }
        assert.is_nil(mlflow.active_run())
        local r = mlflow.last_active_run()
        local run = mlflow.get_run(r.info.run_id)
        assert.equal("FINISHED", run.info.status)
        assert.same({ epochs = "3", batch_size = "16", optimizer = "Adam", learning_rate = "0.001",
            loss = "binary_crossentropy" }, run.data.params)
        for _, k in ipairs({ "loss", "accuracy", "val_loss", "val_accuracy" }) do
            assert.equal(3, #mlflow.get_metric_history(r.info.run_id, k))
        end
        local files = mlflow.list_artifacts(r.info.run_id)
        assert.truthy(table.concat(files, " "):find("model/MLmodel model/config.json", 1, true))
        assert.truthy(table.concat(files, " "):find("model_summary.txt", 1, true))
        assert.equal(m:summary_text(), run.data.tags["mlflow.note.content"])
        mlflow.register_model("runs:/" .. r.info.run_id .. "/model", "gru")
        local m2 = mlflow.load_model("models:/gru/1")
        assert.same(m:predict(x):tolist(), m2:predict(x):tolist())
        os.execute("rm -rf '" .. dir .. "'")
    end)
end)
