-- The plot module's Lua surface (full tests in tests/lua/plot_spec.lua).
describe("plot", function()
    it("makes a line chart", function()
        local p = plot.line{y = {1, 2, 3}}
        assert.equals("line", p:kind())
    end)
end)
