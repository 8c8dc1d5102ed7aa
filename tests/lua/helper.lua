-- Loaded by busted before every spec: paths the specs use.
SRCDIR = os.getenv("top_srcdir") or "."
BUILDDIR = os.getenv("top_builddir") or "."
LUALAB_BIN = os.getenv("LUALAB") or (BUILDDIR .. "/lualab")
FIXTURES = SRCDIR .. "/tests/fixtures"

-- Run a shell command; returns stdout, the exit code.
function run_cmd(cmd)
    local f = io.popen(cmd .. "; echo \"__rc=$?\"")
    local out = f:read("a")
    f:close()
    local rc = tonumber(out:match("__rc=(%d+)\n?$"))
    return out:gsub("__rc=%d+\n?$", ""), rc
end

-- A reference fixture of R's numbers, tests/fixtures/DIR/NAME.txt: one line
-- per key, "key value value ...". Returns {key = {values...}} (numbers where
-- they read as numbers) and {key = "the rest of the line as text"}.
function read_fixture(dir, name)
    local fx, text = {}, {}
    for line in io.lines(FIXTURES .. "/" .. dir .. "/" .. name .. ".txt") do
        local key, rest = line:match("^(%S+)%s*(.*)$")
        local vals = {}
        for tok in rest:gmatch("%S+") do vals[#vals + 1] = tonumber(tok) or tok end
        fx[key] = vals
        text[key] = rest
    end
    return fx, text
end

-- a and b agree within tol, relative to b (absolute below 1)
function close_to(a, b, tol)
    return math.abs(a - b) <= tol * math.max(1, math.abs(b))
end
