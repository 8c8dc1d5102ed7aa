-- The fleet queries of the kill -9 tests: every telemetry row into the
-- SQLite table `scores`, and one alert per battery whose lifetime cycles
-- pass its rated cycles into `alerts`.
-- usage: lualab --lua fleet_query.lua IN_DIR DB CHECKPOINT_DIR slow|now
local dir, db, chk, how = arg[1], arg[2], arg[3], arg[4]
local trigger = how == "now" and {available_now = true} or {processing_time = 0.15}
local telemetry = stream.read{source = "files", path = dir, max_files_per_trigger = 1,
                              mode = "failfast"}
local q1 = telemetry
    :select{"Unnamed: 0", "Date", "Battery_ID", "Lifetime_Cycles_Used", "Battery_Rated_Cycles"}
    :write{sink = "sqlite", path = db, table = "scores", partition_by = {"Battery_ID"},
           checkpoint = chk .. "/scores", trigger = trigger, name = "scores"}
local q2 = telemetry
    :filter("Lifetime_Cycles_Used > Battery_Rated_Cycles")
    :drop_duplicates{"Battery_ID"}
    :write{sink = "sqlite", path = db, table = "alerts", checkpoint = chk .. "/alerts",
           trigger = trigger, name = "alerts"}
q1:await()
q2:await()
print(string.format("done %d %d", q1.last_progress and q1.last_progress.batch_id or -1,
                    q2.last_progress and q2.last_progress.batch_id or -1))
