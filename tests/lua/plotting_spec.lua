-- f:plot{} and t:plot{}: charts straight from a Frame or a Tensor.
describe("frame and tensor plots", function()
    local f = df.frame{{"day", {1, 2, 3, 4}}, {"a", {1.0, 4.0, 2.0, 8.0}},
                       {"b", {2, 2, 3, 1}}, {"name", {"w", "x", "y", "z"}}}

    it("draws one named column against another", function()
        local p = f:plot{x = "day", y = "a", width = 40, height = 10}
        assert.equal("line", p:kind())
        local svg = p:svg()
        assert.matches(">a<", svg)    -- the y label
        assert.matches(">day<", svg)  -- the x label
    end)

    it("draws every numeric column but x as series", function()
        local svg = f:plot{x = "day"}:svg()
        assert.matches(">a<", svg)
        assert.matches(">b<", svg)
        assert.is_nil(svg:find(">name<"))
    end)

    it("draws bars labelled by x and histograms", function()
        local p = f:plot{kind = "barh", x = "name", y = "a"}
        local txt = p:text{width = 40, height = 8}
        for _, label in ipairs{"w", "x", "y", "z"} do
            assert.matches(label, txt)
        end
        assert.equal("hist", f:plot{kind = "hist", y = "a"}:kind())
    end)

    it("rejects an unknown kind with the kinds it knows", function()
        local ok, err = pcall(f.plot, f, {kind = "pie"})
        assert.is_false(ok)
        assert.matches("plot: unknown kind 'pie' (line, scatter, bar, barh, hist)", err, 1, true)
    end)

    it("draws a 1-D tensor and the columns of a 2-D one", function()
        local t = nn.tensor{{1, 10}, {2, 20}, {3, 15}}
        local svg = t:plot{names = {"first", "second"}}:svg()
        assert.matches(">first<", svg)
        assert.matches(">second<", svg)
        assert.equal("line", nn.tensor{3, 1, 2}:plot{}:kind())
        local ok, err = pcall(nn.zeros({2, 2, 2}).plot, nn.zeros({2, 2, 2}), {})
        assert.is_false(ok)
        assert.matches("plot: a 1-D or 2-D tensor expected, got 3-D", err, 1, true)
    end)
end)
