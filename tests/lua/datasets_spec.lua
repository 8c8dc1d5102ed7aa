-- The datasets module: generate, fetch (write once, then reuse).
describe("datasets", function()
    local tmp = os.tmpname()
    os.remove(tmp)

    it("lists the lab's data sets", function()
        assert.same({"daily-battery-time-series", "battery-fleet-telemetry",
                     "connected-car-components"}, datasets.names())
    end)

    it("generates the components notes with the lab's rule", function()
        local csv, rows = datasets.generate("connected-car-components", {rows = 200})
        assert.equals(200, rows)
        local n = 0
        for text, label in csv:gmatch("\n([^,\n]+),(%d)") do
            n = n + 1
            local year = tonumber(text:match("%d%d%d%d"))
            local bad = year < 1995 or text:find("fair ") or text:find("poor ")
                or text:find("plastic") or text:find("iron")
            assert.equals(bad and "1" or "0", label)
        end
        assert.equals(200, n)
    end)

    it("fetch writes once and then reuses the file", function()
        local path, info = datasets.fetch("daily-battery-time-series", {dir = tmp})
        assert.equals(tmp .. "/daily-battery-time-series.csv", path)
        assert.same({rows = 1539, reused = false, seed = 42}, info)
        local path2, info2 = datasets.fetch("daily-battery-time-series", {dir = tmp})
        assert.equals(path, path2)
        assert.is_true(info2.reused)
        local f = assert(io.open(path))
        local body = f:read("a")
        f:close()
        assert.equals((datasets.generate("daily-battery-time-series")), body)
        os.remove(path)
        os.remove(tmp)
    end)

    it("fetch returns nil and a message when it cannot write", function()
        local path, msg = datasets.fetch("connected-car-components",
                                         {rows = 5, dir = "/dev/null/sub"})
        assert.is_nil(path)
        assert.matches("/dev/null/sub", msg, 1, true)
    end)

    it("rejects an unknown name and bad options with exact messages", function()
        local ok, err = pcall(datasets.generate, "nope")
        assert.is_false(ok)
        assert.matches("unknown data set 'nope' (known: daily-battery-time-series, "
            .. "battery-fleet-telemetry, connected-car-components)", err, 1, true)
        ok, err = pcall(datasets.fetch, "connected-car-components", {rows = 0})
        assert.matches("option 'rows': must be >= 1, got 0", err, 1, true)
        ok, err = pcall(datasets.generate, "connected-car-components", {seed = "x"})
        assert.matches("option 'seed'", err, 1, true)
    end)
end)
