-- The MQTT queries of the kill -9 tests: fleet telemetry from an MQTT
-- topic into the SQLite table `scores`, and one alert per battery whose
-- lifetime cycles pass its rated cycles to the topic alerts/battery.
-- usage: lualab --lua mqtt_query.lua URL DB CHECKPOINT_DIR slow|now
local url, db, chk, how = arg[1], arg[2], arg[3], arg[4]
local trigger = how == "now" and {available_now = true} or {processing_time = 0.1}
local telemetry = stream.read{source = "mqtt", url = url, topic = "fleet/+/telemetry", qos = 1,
                              format = "json", mode = "failfast",
                              schema = {{"Idx", "int"}, {"Date", "date"}, {"Battery_ID", "int"},
                                        {"Daily_Trip_Duration", "float"},
                                        {"Lifetime_Cycles_Used", "float"},
                                        {"Battery_Rated_Cycles", "float"}}}
local q1 = telemetry:write{sink = "sqlite", path = db, table = "scores",
                           checkpoint = chk .. "/scores", trigger = trigger, name = "scores"}
local q2 = telemetry
    :filter("Lifetime_Cycles_Used > Battery_Rated_Cycles")
    :drop_duplicates{"Battery_ID"}
    :select{"Battery_ID", "Date", "Lifetime_Cycles_Used"}
    :write{sink = "mqtt", url = url, topic = "alerts/battery", checkpoint = chk .. "/alerts",
           trigger = trigger, name = "alerts"}
q1:await()
q2:await()
print("done")
