-- lualab.json (the one JSON codec), lualab._fs (atomic writes, mkdir -p,
-- the YAML writer) and lualab._model.read_mlmodel (MLmodel read in C).
local json = require("lualab.json")
local fs = require("lualab._fs")

local function tmpdir()
    local p = os.tmpname()
    os.remove(p)
    assert(fs.mkdir_p(p))
    return p
end

local function errmsg(f, ...)
    local ok, e = pcall(f, ...)
    assert(not ok, "expected an error")
    return (tostring(e):gsub("^[^:]*:%d+: ", ""))
end

describe("json", function()
    it("encodes as Python's json.dumps, keys sorted", function()
        assert.equal('{"a": [1, 2.5, "x\\n\\"q\\""], "b": null, "c": true, "d": [], "e": {}}',
            json.encode({ c = true, a = { 1, 2.5, 'x\n"q"' }, b = json.null, d = json.array(), e = {} }))
        assert.equal('[0.1, 1e-07, 3.0, 1e+22, -0.0, NaN, Infinity, -Infinity]',
            json.encode({ 0.1, 1e-7, 3.0, 1e22, -0.0, 0 / 0, math.huge, -math.huge }))
        assert.equal('{\n  "k": [\n    1,\n    {\n      "z": "\\u0001"\n    }\n  ]\n}',
            json.encode({ k = { 1, { z = "\1" } } }, 2))
        assert.equal('{\n\t"a": 1\n}', json.encode({ a = 1 }, "\t"))
        assert.equal('{"10": "ten", "20": "twenty", "x": 3}', json.encode({ [10] = "ten", [20] = "twenty", x = 3 }))
        assert.equal('"caf\195\169"', json.encode("caf\195\169"))
    end)

    it("refuses what JSON cannot hold, naming where", function()
        assert.equal("json.encode: cannot encode a function at $.model.act",
            errmsg(json.encode, { model = { act = print } }))
        assert.equal("json.encode: a table with both array entries and keys at $.layers[2]",
            errmsg(json.encode, { layers = { 1, { 5, name = "x" } } }))
        assert.equal("json.encode: a key that is not a string at $",
            errmsg(json.encode, { [true] = 1 }))
        assert.equal("json.encode: NaN or infinity (allow_nan is false) at $.loss",
            errmsg(json.encode, { loss = 0 / 0 }, { allow_nan = false }))
        local t = {}
        t.self = t
        assert.truthy(errmsg(json.encode, t):find("^json.encode: nesting deeper than 200"))
    end)

    it("decodes with arrays marked, null kept and positions in errors", function()
        local v = assert(json.decode('{"a": [1, 2.5, null, true], "b": {}, "c": "\\u00e9", "d": []}'))
        assert.equal(1, v.a[1])
        assert.equal("integer", math.type(v.a[1]))
        assert.equal(2.5, v.a[2])
        assert.equal(json.null, v.a[3])
        assert.equal("null", tostring(json.null))
        assert.equal(json.array_mt, getmetatable(v.a))
        assert.equal("\195\169", v.c)
        assert.equal("[]", json.encode(v.d))
        assert.equal("{}", json.encode(v.b))
        -- a round trip keeps the text
        local text = '{\n  "layers": [\n    {\n      "units": 3\n    }\n  ],\n  "shape": []\n}'
        assert.equal(text, json.encode(json.decode(text), 2))
        local r, e = json.decode('{"layers": [1, 2,\n  ]}', "config.json")
        assert.is_nil(r)
        assert.equal("config.json:2:3: invalid JSON near ']}'", e)
        assert.same({ nil, "json:1:5: invalid JSON: text after the value near 'x'" }, { json.decode("[1] x") })
        assert.same({ nil, "json:1:3: invalid JSON: unexpected end" }, { json.decode("  ") })
    end)
end)

describe("_fs", function()
    it("writes atomically, makes directories and reads back", function()
        local dir = tmpdir()
        local nested = dir .. "/a/b/c"
        assert.is_true(fs.mkdir_p(nested))
        assert.is_true(fs.mkdir_p(nested))
        assert.is_true(fs.is_dir(nested))
        assert.is_true(fs.write_file(nested .. "/f.txt", "one"))
        assert.is_true(fs.write_file(nested .. "/f.txt", "two"))
        assert.equal("two", fs.read_file(nested .. "/f.txt"))
        assert.is_true(fs.exists(nested .. "/f.txt"))
        assert.is_false(fs.is_dir(nested .. "/f.txt"))
        -- no temporary file is left beside it
        local p = io.popen("ls -A '" .. nested .. "'")
        assert.equal("f.txt\n", p:read("a"))
        p:close()
        assert.same({ nil, dir .. "/missing/f.txt: No such file or directory" },
            { fs.write_file(dir .. "/missing/f.txt", "x") })
        assert.same({ nil, dir .. "/a/b/c/f.txt/d: Not a directory" },
            { fs.mkdir_p(nested .. "/f.txt/d") })
        os.execute("rm -rf '" .. dir .. "'")
    end)

    it("writes YAML as PyYAML's safe_dump does", function()
        assert.equal(table.concat({
            "a: 1",
            "b: 0.5",
            "c: 1.0e-05",
            "d: 'yes'",
            "e: '007'",
            "f: {}",
            "g: []",
            "list:",
            "- x",
            "- 2",
            "- true",
            "nested:",
            "  deeper:",
            "    k: 'v: w'",
            "  n: .nan",
            "s: plain text",
            "t: '2026-12-04 10:00:00'",
            "",
        }, "\n"), fs.yaml({ a = 1, b = 0.5, c = 1e-5, d = "yes", e = "007", f = {}, g = json.array(),
            list = { "x", 2, true }, nested = { deeper = { k = "v: w" }, n = 0 / 0 },
            s = "plain text", t = "2026-12-04 10:00:00" }))
        -- a long value breaks at a space past column 80, continuing
        -- indented (as yaml.safe_dump writes it)
        local long = string.rep("word ", 20) .. "end"
        assert.equal("top:\n  key:" .. string.rep(" word", 15) .. "\n    word word word word word end\n",
            fs.yaml({ top = { key = long } }))
        assert.equal("yaml: cannot write a function (at $.x.f)", errmsg(fs.yaml, { x = { f = print } }))
        assert.equal("yaml: only scalars are written in lists (at $.l[1])", errmsg(fs.yaml, { l = { {} } }))
    end)
end)

describe("MLmodel", function()
    it("is written by the YAML writer and read by the C reader", function()
        local dir = tmpdir()
        local sig = json.encode({ { name = "a long column name number " .. 1, type = "double" },
            { name = "a long column name number " .. 2, type = "double" },
            { name = "it's quoted", type = "long" } })
        assert(fs.write_file(dir .. "/MLmodel", fs.yaml({
            artifact_path = "model",
            flavors = { keras = { loader_module = "lualab.keras", lualab_version = "0.1" } },
            run_id = "abc",
            signature = { inputs = sig },
        })))
        local m = assert(require("lualab._model").read_mlmodel(dir))
        assert.equal("model", m.artifact_path)
        assert.equal("lualab.keras", m.flavors.keras.loader_module)
        assert.equal("0.1", m.flavors.keras.lualab_version)
        assert.same({ "keras" }, m.flavor_names)
        assert.equal(sig, m.signature.inputs)
        assert.equal(dir .. "/MLmodel", m.file)
        assert.same({ nil, "no MLmodel file in " .. dir .. "/none" },
            { require("lualab._model").read_mlmodel(dir .. "/none") })
        assert(fs.write_file(dir .. "/MLmodel", "flavors:\n  keras\n"))
        assert.same({ nil, dir .. "/MLmodel:2: expected 'key: value'" },
            { require("lualab._model").read_mlmodel(dir) })
        os.execute("rm -rf '" .. dir .. "'")
    end)

    it("no Lua module writes files behind the atomic writer", function()
        -- every save goes through _fs.write_file and _fs.mkdir_p
        for _, f in ipairs({ "nn.lua", "nn/io.lua", "_mlflow.lua", "_mlflow/artifacts.lua", "_mlflow/models.lua",
            "keras/models.lua", "keras/layers.lua" }) do
            local src = assert(io.open(SRCDIR .. "/lua/lualab/" .. f)):read("a")
            assert.is_nil(src:find("os.execute", 1, true), f)
            assert.is_nil(src:find('io.open%([^)]*"w'), f)
            assert.is_nil(src:find("os.rename", 1, true), f)
        end
    end)
end)
