-- One process of tests/track_concurrency.sh: a run with 20 params and
-- 500 metric points in experiment "conc", or (arg[2] == "register") a run
-- whose model is registered arg[3] times.
local db, role, n = arg[1], arg[2], tonumber(arg[3])
mlflow.set_tracking_uri("sqlite:///" .. db)
mlflow.set_experiment("conc")
if role == "register" then
    local run = mlflow.start_run { run_name = "registrar" }
    local model = { _flavor = "nn", save = function(_, dir)
        os.execute("mkdir -p '" .. dir .. "'")
    end }
    local info = mlflow.log_model(model, "model")
    mlflow.end_run()
    for _ = 1, n do mlflow.register_model(info.model_uri, "conc-model") end
    return
end
local run <close> = mlflow.start_run { run_name = "worker-" .. role }
for i = 1, 20 do mlflow.log_param("p" .. i, role .. "-" .. i) end
for step = 1, n do
    mlflow.log_metric("m" .. (step % 5), step * 0.5, step)
end
