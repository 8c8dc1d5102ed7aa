-- The host's Lua surface: globals, help, display, progress.
describe("host", function()
    it("has the lualab table with a version", function()
        assert.is_table(lualab)
        assert.matches("^%d+%.%d+%.%d+$", lualab.version)
    end)

    it("registers doc strings that help() prints", function()
        local f = lualab.doc(function() end, "f() -- does nothing")
        local out = run_cmd(LUALAB_BIN .. [[ -e 'help(print)']])
        assert.equals("print(...) -- Write the values to the cell's output, tab-separated.\n", out)
        assert.is_function(f)
    end)

    it("help of a value without a doc string names its type, as IPython's ?x does", function()
        local out = run_cmd(LUALAB_BIN .. [[ -e 'f = df.frame{a = {1}}; help("f"); help("f.a"); ]] ..
                            [[help(nn.zeros({1})); help(function() end); help("f.a.clip")']])
        assert.equals("a Frame value, without a doc string of its own; ?f.method documents its methods\n" ..
                      "a Column value, without a doc string of its own; ?f.a.method documents its methods\n" ..
                      "a Tensor value, without a doc string of its own; ?x.method documents its methods\n" ..
                      "no documentation\n" ..
                      "Column:clip(lower, upper) | clip{lower=, upper=} -> Column -- Values bounded (nil: no bound).\n",
                      out)
    end)

    it("help of an unknown name is an error naming it", function()
        local ok, err = pcall(help, "no_such.thing")
        assert.is_false(ok)
        assert.matches("help: no such name 'no_such.thing'", err, 1, true)
    end)

    it("progress rejects a bad option type with the key named", function()
        local ok, err = pcall(lualab.progress, {label = "x", done = "many"})
        assert.is_false(ok)
        assert.matches("option 'done': number expected, got string", err, 1, true)
    end)

    it("loads module globals on first use and lists them", function()
        local out = run_cmd(LUALAB_BIN .. [[ -e 'print(rawget(_G, "plot") == nil, lualab.modules.plot, type(plot), rawget(_G, "plot") == plot)']])
        assert.equals("true\tlualab.plot\ttable\ttrue\n", out)
    end)
end)

describe("lualab.display with update = true", function()
    it("returns a handle whose update replaces the output", function()
        local out = run_cmd(LUALAB_BIN .. [[ -e 'local h = lualab.display({1, 2}, {update = true}) print(h.id, h.active, tostring(h)) h:update("second") h:update({3})']])
        -- Not a terminal: the final version once, when the chunk ends.
        assert.equals("ll-1\ttrue\tDisplayHandle(ll-1)\n{3}\n", out)
    end)

    it("without update = true is display(x) and returns nothing", function()
        assert.equals(0, select("#", lualab.display("shown")))
        assert.is_false(lualab.display_live())
    end)

    it("rejects a wrong argument with the exact message", function()
        local h = lualab.display(1, {update = true})
        local ok, err = pcall(function() h.update("not a handle", 2) end)
        assert.is_false(ok)
        assert.matches(":%d+: bad argument #1 to 'update' %(lualab.DisplayHandle expected, got string%)$", err)
        ok, err = pcall(lualab.display, 1, {update = true, id = "x"})
        assert.is_false(ok)
        assert.equals("lualab.display: unknown option 'id'", err)
        ok, err = pcall(function() lualab.display(1, true) end)
        assert.is_false(ok)
        assert.matches(":%d+: bad argument #2 to 'display' %(table expected, got boolean%)$", err)
    end)
end)
