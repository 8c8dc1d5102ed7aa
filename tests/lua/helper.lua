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
