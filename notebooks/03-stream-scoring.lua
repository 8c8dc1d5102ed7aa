-- ---
-- title: "Exercise 3: score streaming battery telemetry and raise alerts"
-- ---

-- %% [markdown]
-- # Exercise 3 — score the fleet's telemetry as it arrives
--
-- Every car of the fleet reports its battery's day once a day: trips,
-- minutes driven, cycles used. In Exercise 1 a forecaster learned how many
-- cycles a battery uses; here it scores that telemetry *as a stream*, and
-- the scenario's promise is kept: when a battery's lifetime cycles plus
-- the next 30 days' forecast pass its rated cycles, the driver is invited
-- to book a replacement — once.
--
-- The steps, as in the lab:
--
-- 1. train the forecaster again, from code (3 models, 3-fold CV, horizon
--    30, NRMSE), on the fleet's first months;
-- 2. check it on a static slice: predicted next to actual;
-- 3. build a telemetry folder, one file per day, and replay it;
-- 4. read it as a stream with the lab's schema, score each micro-batch,
--    append to a table partitioned by `Battery_ID`, with a checkpoint;
-- 5. read the table back;
-- 6. raise the alert once per battery (and publish it over MQTT when a
--    broker is given);
-- 7. chart a battery crossing its rated cycles, and the stream's speed.
--
-- Run a cell with **Shift-Enter** (or **Ctrl-E**); **R** runs them all.

-- %% [markdown]
-- ## Parameters

-- %% tags=["parameters"]
batteries = 20 -- the fleet
days = 730 -- days of telemetry generated per battery (from 2013-01-01)
train_days = 180 -- the first days train the forecaster
stream_days = 90 -- the next days arrive as telemetry, one file a day
horizon = 30 -- days forecast
models = "Ridge,ElasticNet,SES" -- the 3 models the search tries
cv_folds = 3
mqtt_url = "" -- e.g. mqtt://127.0.0.1:1883: alerts are published there too
show_battery = 13 -- the battery charted at the end
fresh = true -- start from an empty telemetry folder, checkpoint and tables

-- %% [markdown]
-- ## 1. Train the forecaster from code
--
-- The fleet generator writes the same columns as Exercise 1's file, for
-- many batteries. About 3 rows in 1000 are sent twice (the car retried),
-- so the training table keeps each `(Battery_ID, Date)` once.

-- %%
if fresh then
    for _, p in ipairs{"telemetry", "chk", "scores", "fleet.db"} do os.execute("rm -rf " .. p) end
end
fleet_path = datasets.fetch("battery-fleet-telemetry", {batteries = batteries, days = days})
fleet = df.read_csv(fleet_path)
fleet = fleet:rename{["Unnamed: 0"] = "Idx"}
local n = #fleet
fleet = fleet:unique(fleet:columns())
print(string.format("%s: %d rows, %d after dropping repeated lines", fleet_path, n, #fleet))
dates = fleet:col("Date"):unique():to_table()
table.sort(dates)
train_end = dates[train_days]
train = fleet:filter(string.format("Date <= '%s'", train_end))
print(string.format("training on %s .. %s: %d rows", dates[1], train_end, #train))

-- %% [markdown]
-- The lab's settings, with three models: the search stops after them.

-- %%
local allowed = {}
for m in models:gmatch("[^,]+") do allowed[#allowed + 1] = m end
job = automl.forecast{
    data = train, target = "Daily_Cycles_Used", time = "Date", series = {"Battery_ID"},
    horizon = horizon, primary_metric = "nrmse", cv_folds = cv_folds,
    allowed = allowed, max_trials = #allowed,
    exclude_columns = {"Idx", "Number_Of_Trips", "Lifetime_Cycles_Used", "Battery_Rated_Cycles"},
    experiment = "battery-stream", register = "battery-cycles-stream",
}
mlflow.set_registered_model_alias("battery-cycles-stream", "champion",
    mlflow.search_model_versions("battery-cycles-stream")[1].version)
for _, row in job.leaderboard:rows() do
    print(string.format("%d  %-12s nrmse %.6g", row.rank, row.model, row.nrmse))
end

-- %% [markdown]
-- ## 2. A static check
--
-- Before streaming, the lab scored a slice of rows and printed predicted
-- next to actual. Here: the 30 days after the training period for the
-- first battery, with the trip minutes it really drove.

-- %%
local after = fleet:filter(string.format("Date > '%s' and Battery_ID == 0", train_end)):head(30)
local future = after:select{"Date", "Battery_ID", "Battery_Age_Days", "Daily_Trip_Duration"}
local fc = assert(job.best:forecast(future))
local pred, actual, d = fc:col("forecast"):to_table(), after:col("Daily_Cycles_Used"):to_table(),
    after:col("Date"):to_table()
print("date        predicted  actual")
for i = 1, #pred do
    print(string.format("%s  %.5f    %.5f", d[i], pred[i], actual[i]))
end

-- %% [markdown]
-- ## 3. A telemetry folder, one file a day
--
-- Each day's rows of the whole fleet go in one CSV file, written under a
-- name starting with `.` and renamed when complete (a stream never reads
-- half a file). The header uses the lab's schema, whose first column is
-- `Idx`.

-- %%
os.execute("mkdir -p telemetry")
local lines, header = {}, nil
for line in io.lines(fleet_path) do
    if not header then
        header = "Idx" .. line
    else
        local day = line:match("^[^,]*,([^,]+),")
        lines[day] = lines[day] or {}
        table.insert(lines[day], line)
    end
end
files = 0
for i = train_days + 1, math.min(train_days + stream_days, #dates) do
    local day = dates[i]
    local tmp, final = "telemetry/.day-" .. day .. ".csv", "telemetry/day-" .. day .. ".csv"
    local f = assert(io.open(tmp, "w"))
    f:write(header, "\n", table.concat(lines[day], "\n"), "\n")
    f:close()
    os.rename(tmp, final)
    files = files + 1
end
print(string.format("%d files in telemetry/, %s .. %s", files, dates[train_days + 1],
    dates[train_days + files]))

-- %% [markdown]
-- ## 4. Read it as a stream, score it, append to a table
--
-- `stream.read` with the lab's schema gives a *DataStream*: nothing runs
-- yet. `max_files_per_trigger = 1` replays one day per micro-batch.
-- `drop_duplicates` drops the lines sent twice (the keys it has seen are
-- saved in the checkpoint, so a restart does not forget them), and
-- `with_forecast` keeps each battery's history and adds, to each row, the
-- sum of the model's forecasts for the next 30 days.

-- %%
schema = {{"Idx", "int"}, {"Date", "date"}, {"Battery_ID", "int"},
          {"Battery_Age_Days", "int"}, {"Number_Of_Trips", "int"},
          {"Daily_Trip_Duration", "float"}, {"Daily_Cycles_Used", "float"},
          {"Lifetime_Cycles_Used", "float"}, {"Battery_Rated_Cycles", "float"}}
telemetry = stream.read{source = "files", path = "telemetry", format = "csv",
                        schema = schema, max_files_per_trigger = 1}
scored = telemetry
    :drop_duplicates{"Battery_ID", "Date"}
    :with_forecast{model = "models:/battery-cycles-stream@champion", by = "Battery_ID",
                   time = "Date", target = "Daily_Cycles_Used", horizon = horizon,
                   name = "forecast_30d"}
print(scored)

-- %% [markdown]
-- The first query keeps the lab's columns plus the forecast and appends
-- each micro-batch to `scores/`, a table partitioned by `Battery_ID` (a
-- folder per battery). The checkpoint `chk/scores` records which files
-- each batch read and which batches the table holds: stop the notebook
-- at any moment and run this cell again, and nothing is lost or written
-- twice.
--
-- The second query is the alert: a battery whose lifetime cycles plus the
-- next 30 days' forecast pass its rated cycles, kept **once per battery**
-- (`drop_duplicates` on `Battery_ID`, remembered across restarts), into
-- the SQLite table `alerts` of `fleet.db`.

-- %%
q_scores = scored
    :select{"Date", "Battery_ID", "Battery_Age_Days", "Daily_Trip_Duration",
            "Daily_Cycles_Used", "Lifetime_Cycles_Used", "forecast_30d"}
    :write{sink = "csv", path = "scores", partition_by = {"Battery_ID"}, name = "scores",
           checkpoint = "chk/scores", trigger = {available_now = true}}
alerts = scored
    :filter("Lifetime_Cycles_Used + forecast_30d > Battery_Rated_Cycles")
    :drop_duplicates{"Battery_ID"}
    :select{"Date", "Battery_ID", "Lifetime_Cycles_Used", "forecast_30d", "Battery_Rated_Cycles"}
q_alerts = alerts:write{sink = "sqlite", path = "fleet.db", table = "alerts", name = "alerts",
                        checkpoint = "chk/alerts", trigger = {available_now = true}}
q_memory = alerts:write{sink = "memory", name = "alerts_now", checkpoint = "chk/alerts-memory",
                        trigger = {available_now = true}}
if mqtt_url ~= "" then
    q_mqtt = alerts:write{sink = "mqtt", url = mqtt_url, topic = "alerts/battery",
                          name = "alerts_mqtt", checkpoint = "chk/alerts-mqtt",
                          trigger = {available_now = true}}
end
stream.await_all()
for _, q in ipairs{q_scores, q_alerts, q_memory, q_mqtt} do
    print(q.status)
end

-- %% [markdown]
-- ## 5. Read the table back
--
-- The table is a folder per battery, `Battery_ID=<id>/`, holding a file
-- per micro-batch, `part-<batch>-00000.csv`; as in Spark, the partition
-- column lives in the folder's name, not in the files. Reading one
-- battery reads only its folder; here we read them all.

-- %%
function read_table(dir, ids, nbatches)
    local parts = {}
    for _, id in ipairs(ids) do
        for b = 0, nbatches - 1 do
            local file = string.format("%s/Battery_ID=%d/part-%05d-00000.csv", dir, id, b)
            if io.open(file, "r") then
                -- the partition column is the folder's name, not in the file
                parts[#parts + 1] = df.read_csv(file):mutate{Battery_ID = id}
            end
        end
    end
    return df.concat(parts)
end
ids = {}
for i = 0, batteries - 1 do ids[#ids + 1] = i end
table_back = read_table("scores", ids, q_scores.batches)
local rows_in = 0
for _, p in ipairs(q_scores.recent_progress) do rows_in = rows_in + p.num_input_rows end
print(string.format("scores: %d rows, %d batteries, %d micro-batches", #table_back,
    #table_back:unique{"Battery_ID"}, q_scores.batches))
print(string.format("%d rows read, %d repeated lines dropped", rows_in, rows_in - #table_back))
table_back:sort{"Date", "Battery_ID"}:select{"Date", "Battery_ID", "Daily_Trip_Duration",
    "Daily_Cycles_Used", "Lifetime_Cycles_Used", "forecast_30d"}:head(10)

-- %% [markdown]
-- ## 6. The alerts
--
-- One row per battery, the day its forecast first said it would pass the
-- rated cycles within 30 days. In the lab's scenario each one sends the
-- driver an invitation to book a replacement.

-- %%
raised = stream.table("alerts_now"):sort{"Date"}
for _, r in raised:rows() do
    print(string.format("ALERT %s battery %d: %.2f cycles used + %.2f forecast > %g rated",
        r.Date, r.Battery_ID, r.Lifetime_Cycles_Used, r.forecast_30d, r.Battery_Rated_Cycles))
end
print(string.format("%d alerts in fleet.db (table alerts)", #raised))

-- %% [markdown]
-- ## 7. Charts
--
-- One battery's lifetime cycles, with the lifetime plus the 30-day
-- forecast, against its rated cycles; the alert is the vertical line.

-- %%
local b = table_back:filter("Battery_ID == " .. show_battery):sort{"Date"}
local x = b:col("Date"):to_table()
local life, ahead = b:col("Lifetime_Cycles_Used"):to_table(), {}
local fc30 = b:col("forecast_30d"):to_table()
for i = 1, #life do ahead[i] = fc30[i] and life[i] + fc30[i] or nil end
local rated = fleet:filter("Battery_ID == " .. show_battery):row(1).Battery_Rated_Cycles
local alert_day, alert_at
for _, r in raised:rows() do
    if r.Battery_ID == show_battery then alert_day = r.Date end
end
for i, d in ipairs(x) do
    if d == alert_day then alert_at = i end
end
print(string.format("battery %d: rated %g cycles, alert on %s (day %s of the stream)",
    show_battery, rated, tostring(alert_day), tostring(alert_at)))
plot.line{series = {{name = "lifetime cycles", y = life},
                    {name = "lifetime + next 30 days", y = ahead, color = "orange"}},
          hline = rated, vline = alert_at,
          title = string.format("Battery %d against its rated %g cycles (| the alert)",
              show_battery, rated),
          xlabel = "day of the stream, from " .. x[1], ylabel = "cycles"}

-- %% [markdown]
-- The stream's speed: rows processed per second in each micro-batch of
-- the scoring query (`q.recent_progress`, as Spark's `recentProgress`).

-- %%
local rps, rows_in = {}, 0
for i, p in ipairs(q_scores.recent_progress) do
    rps[i] = p.processed_rows_per_second
    rows_in = rows_in + p.num_input_rows
end
print(string.format("%d batches, %d input rows, median %.0f rows/s", #rps, rows_in,
    (function() local s = {table.unpack(rps)}; table.sort(s); return s[(#s + 1) // 2] end)()))
plot.line{y = rps, title = "Scoring query: rows per second per micro-batch",
          xlabel = "batch", ylabel = "rows/s"}

-- %% [markdown]
-- ## Stop the queries
--
-- With `available_now` the queries ended when the folder was read; a
-- query with `trigger = {processing_time = 1}` would keep watching the
-- folder until `q:stop()`.

-- %%
for _, q in ipairs{q_scores, q_alerts, q_memory, q_mqtt} do q:stop() end
print(string.format("active queries: %d", #stream.active()))

-- %% [markdown]
-- ## Going further
--
-- - Run the notebook again with `-p fresh false -p stream_days 180`: the
--   queries pick up from their checkpoints and score only the new days;
--   batteries already alerted stay silent.
-- - With a broker (`mosquitto`), `-p mqtt_url mqtt://127.0.0.1:1883` and
--   `mosquitto_sub -t alerts/battery` shows the alerts arriving.
