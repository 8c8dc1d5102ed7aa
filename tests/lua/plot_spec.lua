-- The plot module's Lua surface: call shapes, data protocols, display,
-- SVG files, live updates and bad input.
local function tmpname(ext)
    local n = os.tmpname()
    os.remove(n)
    return n .. ext
end

local function xml_ok(path)
    local _, rc = run_cmd("xmllint --noout " .. path .. " 2>&1")
    return rc == 0
end

local function epochs(n)
    local t, v = {}, {}
    for i = 1, n do
        t[i] = 0.9 * math.exp(-i / 8) + 0.04
        v[i] = 0.95 * math.exp(-i / 10) + 0.09
    end
    return t, v
end

-- Each case's function fails with a message holding its text.
local function assert_errors(cases)
    for _, c in ipairs(cases) do
        local ok, err = pcall(c[1])
        assert.is_false(ok)
        assert.matches(c[2], err, 1, true)
    end
end

describe("plot", function()
    it("draws a line with a legend from the series call shape", function()
        local t, v = epochs(30)
        local p = plot.line{series = {{name = "train", y = t},
                                      {name = "val", y = v}},
                            title = "Loss", xlabel = "epoch", width = 60,
                            height = 14}
        assert.equals("line", p:kind())
        local s = p:text{ascii = true}
        assert.matches("Loss", s, 1, true)
        assert.matches("** train   ++ val", s, 1, true)
        assert.matches("epoch", s, 1, true)
        local lines = 0
        for line in s:gmatch("[^\n]+") do
            lines = lines + 1
            assert.is_true(#line <= 60)
        end
        assert.equals(14, lines)
        assert.equals("Plot(line, 2 series, 60 points)", tostring(p))
    end)

    it("takes every kind with the documented call shapes", function()
        local kinds = {
            plot.line{x = {1, 2, 3}, y = {3, 1, 2}},
            plot.scatter{x = {1, 2, 3}, y = {3, 1, 2}},
            plot.bar{labels = {"a", "b"}, values = {1, 2}},
            plot.barh{labels = {"a", "b"}, values = {1, 2}},
            plot.hist{y = {1, 2, 2, 3, 3, 3}, bins = 3},
            plot.heatmap{values = {{1, 2}, {3, 4}}, xlabels = {"x1", "x2"},
                         ylabels = {"y1", "y2"}},
            plot.sparkline{y = {1, 5, 2, 8}},
        }
        local names = {"line", "scatter", "bar", "barh", "hist", "heatmap",
                       "sparkline"}
        for i, p in ipairs(kinds) do
            assert.equals(names[i], p:kind())
            local d = getmetatable(p).__display(p, {width = 50, height = 10})
            assert.equals("plot", d.kind)
            assert.is_string(d.text)
            assert.is_nil(d.ansi)
            assert.matches("^<%?xml", d.svg)
        end
        local g = plot.grid{kinds[1], kinds[3], title = "both"}
        assert.equals("grid", g:kind())
        assert.matches("both", g:text{width = 80, height = 12}, 1, true)
    end)

    it("reads Columns and Tensors through to_table() and tolist()", function()
        local col = setmetatable({}, {__index = {
            to_table = function() return {1, 4, 9} end}})
        local ten = setmetatable({}, {__index = {
            tolist = function() return {2, 3, 4} end}})
        local p = plot.line{x = ten, y = col}
        assert.equals("Plot(line, 1 series, 3 points)", tostring(p))
        local q = plot.scatter{x = col, y = col}
        assert.equals("Plot(scatter, 1 series, 3 points)", tostring(q))
    end)

    it("sizes __display to the front end and adds ANSI on request", function()
        local p = plot.line{y = {1, 2, 3, 2, 1}, title = "t"}
        local d = getmetatable(p).__display(p, {width = 30, height = 8,
                                                color = true})
        for line in d.text:gmatch("[^\n]+") do
            assert.is_true(utf8.len(line) <= 30)
        end
        assert.matches("\27%[0;38;5;33m", d.ansi)
        assert.matches('width="640" height="400"', d.svg, 1, true)
    end)

    it("draws dates with calendar ticks", function()
        -- 2023-12-20 .. 2024-01-15, days since the epoch
        local x, y = {}, {}
        for i = 0, 26 do
            x[#x + 1] = 19711 + i
            y[#y + 1] = math.sin(i / 4)
        end
        local s = plot.line{x = x, y = y, x_type = "date"}:text{
            width = 70, height = 10}
        assert.matches("2023%-12%-25 +2024%-01%-01 +Jan 08 +Jan 15", s)
    end)

    it("reads ISO date and date-time strings as x", function()
        local s = plot.line{x = {"2023-12-30", "2023-12-31", "2024-01-01",
                                 "2024-01-02"}, y = {3, 1, 4, 1}}
            :text{width = 60, height = 6}
        assert.matches("2023%-12%-30 +Dec 31 +2024%-01%-01 +Jan 02", s)
        s = plot.line{x = {"2024-03-01T10:00:00Z", "2024-03-01 10:30",
                           "2024-03-01T11:00:30.5"}, y = {1, 2, 3}}
            :text{width = 50, height = 6}
        assert.matches("Mar 01 10:00 +10:30 +11:00", s)
        local ok, err = pcall(plot.line, {x = {"2024-01-01", "2024-13-01"},
                                          y = {1, 2}})
        assert.is_false(ok)
        assert.matches("plot.line: option 'x': element 2: '2024-13-01' is " ..
                       "not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)", err,
                       1, true)
        ok, err = pcall(plot.line, {x = {"2024-01-01", "2024-01-01 10:00"},
                                    y = {1, 2}})
        assert.matches("plot.line: option 'x': element 2 mixes dates and " ..
                       "date-times", err, 1, true)
    end)

    it("counts NaN and infinite values in a footnote", function()
        local s = plot.line{y = {1, 0 / 0, 2, math.huge, 3}}:text{
            width = 40, height = 8}
        assert.matches("2 NaN/Inf values skipped", s, 1, true)
    end)

    it("sorts barh largest first and prints the values", function()
        local s = plot.barh{labels = {"a", "b", "c"}, values = {0.1, 0.3, 0.2}}
            :text{width = 30, height = 5, ascii = true}
        assert.equals("b |####################### 0.3\n" ..
                      "c |############### 0.2\n" ..
                      "a |######## 0.1\n", s)
    end)

    it("writes a self-contained SVG atomically that parses as XML", function()
        local t, v = epochs(20)
        local p = plot.line{series = {{name = "train", y = t},
                                      {name = "val & test", y = v}},
                            title = "Loss <by epoch>", xlabel = "epoch",
                            ylabel = "loss"}
        local path = tmpname(".svg")
        assert.is_true(p:save(path))
        assert.is_true(xml_ok(path))
        local f = io.open(path)
        local svg = f:read("a")
        f:close()
        os.remove(path)
        assert.equals(p:svg(), svg)
        assert.matches('data-name="train"', svg, 1, true)
        assert.matches(">val &amp; test</text>", svg, 1, true)
        assert.matches(">Loss &lt;by epoch&gt;</text>", svg, 1, true)
        assert.matches(">epoch</text>", svg, 1, true)
        assert.matches(">0.4</text>", svg, 1, true) -- a y tick
        assert.matches(">10</text>", svg, 1, true)  -- an x tick
        assert.is_nil(svg:find("<script", 1, true))
        assert.is_nil(svg:find("href", 1, true))
    end)

    it("every kind's SVG parses", function()
        local ps = {
            plot.scatter{x = {1, 2, 3}, y = {1, 2, 4}, identity = true},
            plot.bar{labels = {"a", "b"}, values = {1, -2}},
            plot.barh{labels = {"a", "b"}, values = {1, 2}},
            plot.hist{y = {1, 2, 2, 3}},
            plot.heatmap{values = {{1, 2}, {3, 4}}},
            plot.sparkline{y = {1, 2, 1}},
            plot.line{y = {}},
        }
        ps[#ps + 1] = plot.grid{ps[1], ps[2]}
        for _, p in ipairs(ps) do
            local path = tmpname(".svg")
            assert.is_true(p:save(path, {width = 300, height = 200}))
            assert.is_true(xml_ok(path))
            os.remove(path)
        end
    end)

    it("reports save failures as nil, message", function()
        local p = plot.line{y = {1, 2}}
        local ok, err = p:save("/nonexistent-dir/x.svg")
        assert.is_nil(ok)
        assert.matches("/nonexistent-dir/x.svg", err, 1, true)
        ok, err = p:save("x.png")
        assert.is_nil(ok)
        assert.equals("plot:save: 'x.png': only .svg is supported", err)
    end)

    it("updates in place: append and set bump the version", function()
        local p = plot.line{series = {{name = "loss", y = {}}}}
        local v0 = p:version()
        for i = 1, 5 do
            p:append("loss", i, 1 / i)
            p:append("val_loss", 1.2 / i)
        end
        assert.is_true(p:version() > v0)
        assert.equals("Plot(line, 2 series, 10 points)", tostring(p))
        p:set{title = "live", ylim = {0, 2}}
        local s = p:text{width = 40, height = 10}
        assert.matches("live", s, 1, true)
        assert.matches("2┤", s, 1, true)
        p:set{y = {5, 6}}
        assert.equals("Plot(line, 1 series, 2 points)", tostring(p))
    end)

    it("honours LUALAB_ASCII=1", function()
        local out = run_cmd("LANG=C.UTF-8 LUALAB_ASCII=1 " .. LUALAB_BIN ..
            [[ -e 'io.write(plot.line{y={1,2,3}}:text{width=20,height=5})']])
        assert.is_nil(out:find("[\128-\255]"))
        assert.matches("+--", out, 1, true)
        out = run_cmd("LANG=C.UTF-8 " .. LUALAB_BIN ..
            [[ -e 'io.write(plot.line{y={1,2,3}}:text{width=20,height=5})']])
        assert.matches("└", out, 1, true)
    end)

    it("rejects bad input with messages that name the option", function()
        local cases = {
            {function() plot.line{} end,
             "plot.line: option 'y' (or 'series') is required"},
            {function() plot.line{y = {1, "x"}} end,
             "plot.line: option 'y': element 2 is a string, number expected"},
            {function() plot.line{x = {1}, y = {1, 2}} end,
             "plot.line: 'x' has 1 values but 'y' has 2"},
            {function() plot.line{y = 5} end,
             "plot.line: option 'y': table, Column, Frame or Tensor expected, got number"},
            {function() plot.line{y = {1}, titel = "x"} end,
             "plot.line: unknown option 'titel' (did you mean 'title'?)"},
            {function() plot.bar{values = {1}, lables = {"a"}} end,
             "plot.bar: unknown option 'lables' (did you mean 'labels'?)"},
            {function() plot.line{y = {1}}:set{colr = "red"} end,
             "plot:set: unknown option 'colr' (did you mean 'color'?)"},
            {function() plot.line{y = {1}}:text{widht = 3} end,
             "plot:text: unknown option 'widht' (did you mean 'width'?)"},
            {function() plot.line{y = {1}}:svg{hieght = 3} end,
             "plot:svg: unknown option 'hieght' (did you mean 'height'?)"},
            {function() plot.line{y = {1}, color = "pink"} end,
             "plot.line: option 'color': unknown colour 'pink'"},
            {function() plot.line{y = {1}, log = "z"} end,
             "plot.line: option 'log': \"x\", \"y\", \"xy\" or \"none\" expected, got \"z\""},
            {function() plot.line{y = {1}, xlim = {2, 1}} end,
             "plot.line: option 'xlim': low must be below high"},
            {function() plot.line{y = {1}, x_type = "week"} end,
             "plot.line: option 'x_type': \"number\", \"date\" or \"datetime\" expected, got \"week\""},
            {function() plot.hist{y = {1}, bins = -2} end,
             "plot.hist: option 'bins': -2 out of range 1..100000"},
            {function() plot.bar{labels = {"a"}, values = {1, 2}} end,
             "plot.bar: 'labels' has 1 entries but 'values' has 2"},
            {function() plot.heatmap{values = {{1, 2}, {3}}} end,
             "plot.heatmap: option 'values': row 2 has 1 values, row 1 has 2"},
            {function() plot.grid{1} end,
             "plot.grid: element 1 is a number, Plot expected"},
            {function() plot.line{y = {1}, title = {}} end,
             "plot.line: option 'title': string expected, got table"},
            {function() plot.line{y = {1}}:append(3, 1, 1) end,
             "plot:append: no series 3 (the chart has 1)"},
            {function() plot.bar{values = {1}}:append(1, 1) end,
             "plot:append: a bar chart has no series (use p:set{...})"},
        }
        assert_errors(cases)
    end)

    it("draws the lab's charts as reviewed (lab_*.svg, lab_*.txt)", function()
        local charts = dofile(FIXTURES .. "/plot/lab_charts.lua")
        local names = {"loss", "predicted_vs_true", "importance", "confusion",
                       "residuals"}
        for _, name in ipairs(names) do
            local p = charts[name]()
            local f = assert(io.open(FIXTURES .. "/plot/lab_" .. name .. ".svg"))
            assert.equals(f:read("a"), p:svg())
            f:close()
            f = assert(io.open(FIXTURES .. "/plot/lab_" .. name .. ".txt"))
            assert.equals(f:read("a"), p:text{width = 72, height = 18,
                                               ascii = false})
            f:close()
        end
    end)

    it("draws a Frame's numeric columns as a heatmap's rows and columns", function()
        local f = df.frame{a = {1, 2}, b = {3, 4}}
        local p = plot.heatmap{values = f}
        local q = plot.heatmap{values = {{1, 3}, {2, 4}}}
        assert.equals(q:svg(), p:svg())
    end)

    it("draws each numeric column of a Frame as a series named by it", function()
        local f = df.frame{a = {1, 2, 4}, b = {0.5, 0.25, 0 / 0},
                           s = {"x", "y", "z"}}
        local want = {{name = "a", y = {1, 2, 4}},
                      {name = "b", y = {0.5, 0.25, 0 / 0}}}
        local p = plot.line{y = f, title = "t"}
        assert.equals("Plot(line, 2 series, 6 points)", tostring(p))
        assert.equals(plot.line{series = want, title = "t"}:svg(), p:svg())
        assert.matches(">a</text>", p:svg(), 1, true)
        assert.matches(">b</text>", p:svg(), 1, true)
        -- x as a Column, y as the Frame, for scatter and hist too
        local s = plot.scatter{x = f.a, y = f}
        assert.equals(plot.scatter{x = {1, 2, 4}, series = want}:svg(), s:svg())
        local h = plot.hist{y = f, bins = 3}
        assert.equals(plot.hist{series = want, bins = 3}:svg(), h:svg())
        -- a Frame of one numeric column is that column (bar, sparkline)
        local b = plot.bar{values = f:select{"a", "s"}, labels = f.s}
        assert.equals(plot.bar{values = {1, 2, 4}, labels = {"x", "y", "z"}}
                      :svg(), b:svg())
        local one = plot.line{y = f:select{"b"}, color = "red"}
        assert.equals(plot.line{y = {0.5, 0.25, 0 / 0}, name = "b",
                                color = "red"}:svg(), one:svg())
    end)

    it("takes a date Column as x and a Frame as y", function()
        local d = df.frame{d = {"2024-01-01", "2024-01-02", "2024-01-03"},
                           v = {1, 3, 2}, w = {true, false, true}}
        d.d = d.d:astype("date")
        local p = plot.line{x = d.d, y = d}
        local q = plot.line{x = {"2024-01-01", "2024-01-02", "2024-01-03"},
                            series = {{name = "v", y = {1, 3, 2}},
                                      {name = "w", y = {1, 0, 1}}}}
        assert.equals(q:svg(), p:svg())
        assert.matches("Jan 02", p:text{width = 50, height = 8}, 1, true)
    end)

    it("rejects Frames that do not fit the option", function()
        local f = df.frame{a = {1, 2}, b = {3, 4}, s = {"x", "y"}}
        local cases = {
            {function() plot.line{y = f, name = "q"} end,
             "plot.line: option 'name': the Frame gives 2 series; name and colour them with series={{name=, y=, color=}, ...}"},
            {function() plot.line{y = f, color = "red"} end,
             "plot.line: option 'color': the Frame gives 2 series;"},
            {function() plot.line{x = f, y = f} end,
             "plot.line: option 'x': the Frame has 2 numeric columns, one expected (give a column, f.name)"},
            {function() plot.bar{values = f} end,
             "plot.bar: option 'values': the Frame has 2 numeric columns, one expected (give a column, f.name)"},
            {function() plot.line{y = f:select{"s"}} end,
             "plot.line: option 'y': the Frame has no numeric column"},
            {function() plot.line{x = {1, 2, 3}, y = f} end,
             "plot.line: 'x' has 3 values but 'y' has 2"},
            {function() plot.line{y = f.s} end,
             "plot.line: option 'y': element 1 is a string, number expected"},
            {function() plot.bar{values = f.a, labels = f} end,
             "plot.bar: option 'labels': a Column expected, got Frame (give f.name)"},
        }
        assert_errors(cases)
    end)

    it("has doc strings", function()
        local out = run_cmd(LUALAB_BIN .. [[ -e 'help(plot.barh)']])
        assert.matches("feature importance", out, 1, true)
    end)
end)
