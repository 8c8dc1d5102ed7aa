-- The Kafka queries of tests/stream_kafka.sh, through the Lua API: topic
-- `tele` (messages {"id", "x"}) into the SQLite table `scores`, and the
-- rows with x >= 10 to the topic `alerts`, both with available_now and
-- 8 offsets per batch; then `alerts` is read back into a memory table.
-- Prints the batches each query ran and what the alerts topic holds.
-- usage: lualab --lua kafka_query.lua BROKERS DB CHECKPOINT_DIR
local brokers, db, chk = arg[1], arg[2], arg[3]
local schema = {{"id", "int"}, {"x", "float"}}
local tele = stream.read{source = "kafka", brokers = brokers, topic = "tele", group = "scorer",
                         format = "json", max_offsets_per_trigger = 8, schema = schema,
                         mode = "failfast"}
local q1 = tele:write{sink = "sqlite", path = db, table = "scores", checkpoint = chk .. "/scores",
                      trigger = {available_now = true}, name = "scores"}
local q2 = tele:filter("x >= 10")
    :write{sink = "kafka", brokers = brokers, topic = "alerts", checkpoint = chk .. "/alerts",
           trigger = {available_now = true}, name = "alerts"}
assert(stream.await_all())
local function batches(q)
    local n = 0
    for _, p in ipairs(q.recent_progress) do
        if p.num_input_rows > 0 then n = n + 1 end
    end
    return n
end
local back = stream.read{source = "kafka", brokers = brokers, topic = "alerts", schema = schema}
    :write{sink = "memory", name = "back", trigger = {available_now = true}}
back:await()
local t = stream.table("back")
local sum = 0
for i = 1, #t do sum = sum + t.id[i] end
print(string.format("scores %d batches, alerts %d batches, alerts topic %d rows, id sum %d",
                    batches(q1), batches(q2), #t, sum))
