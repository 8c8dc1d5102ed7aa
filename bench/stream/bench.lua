-- The streaming benchmark's queries: a folder of fleet telemetry ->
-- select/filter -> SQLite, and an alert query (filter, drop_duplicates by
-- battery) into a second table, both on the same source, run with
-- available_now.  Prints the wall time and the rows each query read.
-- usage: lualab --lua bench.lua IN_DIR DB CHECKPOINT_DIR
local dir, db, chk = arg[1], arg[2], arg[3]
local t0 = os.clock()
local telemetry = stream.read{source = "files", path = dir, max_files_per_trigger = 4,
    schema = {{"Date", "date"}, {"Battery_ID", "int"}, {"Battery_Age_Days", "int"},
              {"Daily_Trip_Duration", "float"}, {"Lifetime_Cycles_Used", "float"},
              {"Battery_Rated_Cycles", "float"}}}
local q1 = telemetry
    :select{"Date", "Battery_ID", "Lifetime_Cycles_Used", "Battery_Rated_Cycles", "Daily_Trip_Duration"}
    :filter("Battery_Rated_Cycles > 0")
    :write{sink = "sqlite", path = db, table = "scores", partition_by = {"Battery_ID"},
           checkpoint = chk .. "/scores", trigger = {available_now = true}}
local q2 = telemetry
    :filter("Lifetime_Cycles_Used > Battery_Rated_Cycles")
    :drop_duplicates{"Battery_ID"}
    :write{sink = "sqlite", path = db, table = "alerts", checkpoint = chk .. "/alerts",
           trigger = {available_now = true}}
assert(stream.await_all())
local function rows(q)
    local n, ms = 0, 0
    for _, p in ipairs(q.recent_progress) do
        n = n + p.num_input_rows
        ms = ms + p.duration_ms
    end
    return n, ms
end
local n1, ms1 = rows(q1)
local n2, ms2 = rows(q2)
print(string.format("RESULT rows=%d scores_ms=%.1f alerts_ms=%.1f cpu_s=%.3f", n1, ms1, ms2,
                    os.clock() - t0))
