-- stream: the micro-batch engine's Lua API (stream.read, DataStream
-- operators, write, StreamingQuery) over folders of CSV / JSON files.
describe("stream", function()
    local tmp
    local function write(path, text)
        local f = assert(io.open(path, "w"))
        f:write(text)
        f:close()
    end
    local function sh(cmd)
        assert(os.execute(cmd))
    end
    local function sql(db, q)
        local p = io.popen("sqlite3 '" .. db .. "' \"" .. q .. "\"")
        local out = p:read("a")
        p:close()
        return (out:gsub("\n$", ""))
    end
    before_each(function()
        tmp = os.tmpname()
        os.remove(tmp)
        sh("mkdir -p '" .. tmp .. "/in'")
        write(tmp .. "/in/a.csv", "id,day,x\n1,2024-01-01,2\n2,2024-01-01,0.5\n3,2024-01-01,7\n")
        write(tmp .. "/in/b.csv", "id,day,x\n1,2024-01-02,3\n4,2024-01-02,9\n")
    end)
    after_each(function()
        for _, q in ipairs(stream.active()) do q:stop() end
        sh("rm -rf '" .. tmp .. "'")
    end)

    it("reads files in batches, transforms them and fills a memory table", function()
        local ds = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1,
                               schema = {id = "int", day = "date", x = "float"}}
        assert.matches("^DataStream%(source files, 0 operators%)$", tostring(ds))
        local scored = ds:select{"id", "x"}:filter("x > 1"):with_column("y", "x * 10")
        local q = scored:write{sink = "memory", name = "t1", trigger = {available_now = true}}
        assert.is_true(q.active)
        assert.is_true(q:await{timeout = 10})
        assert.is_false(q.active)
        local t = stream.table("t1")
        assert.same({"id", "x", "y"}, t:columns())
        assert.equals(4, #t)
        assert.same({1, 3, 1, 4}, {t.id[1], t.id[2], t.id[3], t.id[4]})
        assert.equals(90, t.y[4])
        local p = q.last_progress
        assert.equals(1, p.batch_id)
        assert.equals(2, p.num_input_rows)
        assert.equals(2, p.num_output_rows)
        assert.same({"b.csv"}, p.offsets.files)
        assert.is_true(p.processed_rows_per_second > 0)
        assert.is_true(p.input_rows_per_second > 0)
        assert.is_true(p.duration_ms >= 0 and p.duration_ms < 10000)
        assert.matches("^%x+$", p.id)
        assert.equals(32, #p.id)
        assert.equals(2, #q.recent_progress)
        assert.equals(0, q.recent_progress[1].batch_id)
        assert.matches("^t1: 2 batches, %d+ rows/s$", q.status)
        local live = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1}
            :write{sink = "memory", name = "live", trigger = {processing_time = 10}}
        assert.equals(2, live.lag)
        assert.is_false(live:await(0.2))
        assert.equals(1, live.lag)
        assert.matches("^live: 1 batch, %d+ rows/s, lag 1$", live.status)
        live:stop()
    end)

    it("drop_duplicates keeps one row per key across batches and restarts", function()
        local chk = tmp .. "/chk"
        local function run()
            local q = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1}
                :filter("x > 1"):drop_duplicates{"id"}
                :write{sink = "sqlite", path = tmp .. "/a.db", table = "alerts",
                       checkpoint = chk, trigger = {available_now = true}}
            q:await()
            return q
        end
        run()
        assert.equals("1,3,4", sql(tmp .. "/a.db", "SELECT group_concat(id) FROM alerts"))
        write(tmp .. "/in/c.csv", "id,day,x\n1,2024-01-03,5\n5,2024-01-03,6\n")
        local q = run()
        -- b.csv and c.csv: 4 and 5 are new, 1 was seen before the restart
        assert.equals("1,3,4,5", sql(tmp .. "/a.db", "SELECT group_concat(id) FROM (SELECT id FROM alerts ORDER BY id)"))
        assert.equals(2, q.last_progress.batch_id)
        assert.equals(3, tonumber(sql(tmp .. "/a.db", "SELECT count(*) FROM _lualab_stream_batches")))
    end)

    it("calls a foreachBatch function and raises its error from await with the batch id", function()
        local seen = {}
        local q = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1}
            :write{sink = function(batch, id) seen[#seen + 1] = id .. ":" .. #batch end,
                   trigger = {available_now = true}}
        q:await()
        assert.same({"0:3", "1:2"}, seen)
        local bad = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1}
            :write{sink = function(_, id) if id == 1 then error("no room", 0) end end,
                   name = "full", trigger = {available_now = true}}
        local ok, err = pcall(bad.await, bad)
        assert.is_false(ok)
        assert.matches("query 'full' batch 1: foreach_batch: no room$", err)
        assert.equals("query 'full' batch 1: foreach_batch: no room", bad.error)
    end)

    it("names malformed rows with file and line in each mode", function()
        write(tmp .. "/in/c.csv", "id,day,x\n9,2024-01-03,oops\n")
        local schema = {{"id", "int"}, {"day", "date"}, {"x", "float"}}
        local function run(mode, name)
            local q = stream.read{source = "files", path = tmp .. "/in", mode = mode, schema = schema}
                :write{sink = "memory", name = name, trigger = {once = true}}
            return q, pcall(q.await, q)
        end
        local q = run("permissive", "perm")
        assert.equals(6, #stream.table("perm"))
        assert.equals(1, q.last_progress.num_malformed_rows)
        assert.same({tmp .. "/in/c.csv:2: column 'x': cannot parse 'oops' as float (kept with NA)"},
                    q.last_progress.messages)
        q = run("dropmalformed", "drop")
        assert.equals(5, #stream.table("drop"))
        local _, ok, err = run("failfast", "fail")
        assert.is_false(ok)
        assert.equals("query 'fail' batch 0: " .. tmp .. "/in/c.csv:2: column 'x': cannot parse 'oops' as float", err)
    end)

    it("names an unreadable file and goes on", function()
        sh("ln -s '" .. tmp .. "/gone.csv' '" .. tmp .. "/in/c.csv'")
        local q = stream.read{source = "files", path = tmp .. "/in", schema = {{"id", "int"}, {"day", "date"}, {"x", "float"}}}
            :write{sink = "memory", name = "skip", trigger = {once = true}}
        q:await()
        assert.equals(5, #stream.table("skip"))
        assert.same({"a.csv", "b.csv", "c.csv"}, q.last_progress.offsets.files)
        assert.same({tmp .. "/in/c.csv: No such file or directory (skipped)"}, q.last_progress.messages)
    end)

    it("writes csv and jsonl part files under partition folders", function()
        local q = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1}
            :write{sink = "csv", path = tmp .. "/out", partition_by = {"id"}, trigger = {available_now = true}}
        q:await()
        local f = assert(io.open(tmp .. "/out/id=1/part-00001-00000.csv"))
        assert.equals("day,x\n2024-01-02,3.0\n", f:read("a"))
        f:close()
        q = stream.read{source = "files", path = tmp .. "/in", format = "csv"}
            :write{sink = "jsonl", path = tmp .. "/j", trigger = {once = true}}
        q:await()
        f = assert(io.open(tmp .. "/j/part-00000-00000.jsonl"))
        local first = f:read("l")
        f:close()
        assert.equals('{"id":1,"day":"2024-01-01","x":2.0}', first)
        -- and read back as a JSON-lines stream
        q = stream.read{source = "files", path = tmp .. "/j", format = "jsonl",
                        schema = {{"id", "int"}, {"x", "float"}}}
            :write{sink = "memory", name = "back", trigger = {once = true}}
        q:await()
        assert.equals(5, #stream.table("back"))
        assert.equals(9, stream.table("back").x[5])
    end)

    it("runs a processing-time trigger until stopped, with other queries progressing", function()
        local q1 = stream.read{source = "rate", rows_per_second = 200}
            :write{sink = "memory", name = "rate", trigger = {processing_time = 0.05}}
        local q2 = stream.read{source = "files", path = tmp .. "/in"}
            :write{sink = "memory", name = "files2", trigger = {processing_time = 0.05}}
        assert.equals(2, #stream.active())
        assert.is_false(q1:await{timeout = 0.4})
        assert.equals(5, #stream.table("files2"))
        local n = #stream.table("rate")
        assert.is_true(n >= 20 and n <= 100, "rate rows " .. n)
        local r = stream.table("rate")
        assert.same({0, 1}, {r.value[1], r.value[2]})
        q1:stop()
        q2:stop()
        assert.equals(0, #stream.active())
        assert.is_true(q1:await())
    end)

    it("replays a file in the time of a column", function()
        write(tmp .. "/r.csv", "day,v\n2024-01-02,3\n2024-01-01,1\n2024-01-01,2\n2024-01-11,5\n")
        -- a day of data in 0.1 s: rows at 0, 0, 0.1 and 1 s
        local q = stream.read{source = "replay", path = tmp .. "/r.csv", time = "day", speed = 864000}
            :write{sink = "memory", name = "replay", trigger = {processing_time = 0.02}}
        q:await(0.4)
        local t = stream.table("replay")
        assert.same({1, 2, 3}, {t.v[1], t.v[2], t.v[3]})
        assert.equals(3, #t)
        q:await(1.0)
        assert.equals(4, #stream.table("replay"))
        assert.equals(5, stream.table("replay").v[4])
        q:stop()
        assert.equals("replay source: /nonexistent.csv: no such file",
                      select(2, pcall(stream.read, {source = "replay", path = "/nonexistent.csv", time = "day"})):gsub("^.-: replay", "replay"))
    end)

    it("prints console batches", function()
        local out = {}
        local old = _G.print
        _G.print = function(s) out[#out + 1] = s end
        local q = stream.read{source = "files", path = tmp .. "/in", max_files_per_trigger = 1}
            :write{sink = "console", trigger = {available_now = true}}
        local ok, err = pcall(q.await, q)
        _G.print = old
        assert.is_true(ok, err)
        assert.equals(2, #out)
        assert.matches("^%-+\nBatch: 0\n%-+\n", out[1])
        assert.matches("2024%-01%-02", out[2])
    end)

    it("rejects bad options with exact messages", function()
        local function msg(f)
            local ok, e = pcall(f)
            assert.is_false(ok)
            return (e:gsub("^[^:]*stream_spec%.lua:%d+: ", ""))
        end
        assert.equals("stream.read: unknown source 'ftp' (files, mqtt, kafka, rate, replay)",
                      msg(function() stream.read{source = "ftp"} end))
        assert.equals("file source: /nonexistent/x: not a folder",
                      msg(function() stream.read{source = "files", path = "/nonexistent/x"} end))
        assert.equals("stream.read: unknown mode 'lenient' (permissive, dropmalformed, failfast)",
                      msg(function() stream.read{source = "files", path = tmp, mode = "lenient"} end))
        assert.equals("option 'schema': column 'id': unknown type 'integer' (bool, int, float, string, category, date, datetime)",
                      msg(function() stream.read{source = "files", path = tmp, schema = {id = "integer"}} end))
        assert.equals("stream.read: the kafka source needs brokers and a topic",
                      msg(function() stream.read{source = "kafka", brokers = "127.0.0.1:9"} end))
        assert.equals("kafka source: starting_offsets 'middle' (earliest, latest)",
                      msg(function() stream.read{source = "kafka", brokers = "127.0.0.1:9", topic = "t",
                                                 starting_offsets = "middle"} end))
        assert.equals("stream.read: the mqtt source reads format \"json\" (got 'csv')",
                      msg(function() stream.read{source = "mqtt", topic = "a/b", format = "csv"} end))
        assert.equals("mqtt: url 'http://x': only mqtt://host:port is supported",
                      msg(function() stream.read{source = "mqtt", url = "http://x", topic = "a/b"} end))
        local ds = stream.read{source = "files", path = tmp .. "/in"}
        assert.equals("write: the kafka sink needs brokers and a topic",
                      msg(function() ds:write{sink = "kafka", topic = "out"} end))
        assert.equals("write: option 'trigger': processing_time, available_now or once expected",
                      msg(function() ds:write{sink = "memory", name = "x", trigger = {every = 1}} end))
        assert.equals("write: unknown sink 'hdfs' (console, memory, csv, jsonl, sqlite, mqtt, kafka, or a function)",
                      msg(function() ds:write{sink = "hdfs"} end))
        assert.equals("csv sink: /proc/lualab-no: No such file or directory",
                      msg(function() ds:write{sink = "csv", path = "/proc/lualab-no"} end))
        assert.equals("write: the sqlite sink needs a path and a table",
                      msg(function() ds:write{sink = "sqlite", path = tmp .. "/x.db"} end))
        local q = ds:select{"nope"}:write{sink = "memory", name = "x", trigger = {once = true}}
        local e = msg(function() q:await() end)
        assert.matches("^query 'x' batch 0: select: no column 'nope'", e)
        assert.is_nil(stream.table("never"))
        assert.equals("no memory table 'never'", select(2, stream.table("never")))
    end)
end)
