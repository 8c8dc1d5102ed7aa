-- lualab side of bench/nn/run.sh: the same models from the same initial
-- weights; checks the first loss/output against PyTorch's, then times.
-- usage: lualab --lua bench.lua DIR THREADS
local dir, threads = arg[1], tonumber(arg[2])
nn.set_num_threads(threads)
local ITERS = tonumber(os.getenv("BENCH_ITERS") or "20")
local EPOCH_N = tonumber(os.getenv("BENCH_EPOCH_N") or "90000")
local CASES = {"ts_h64", "ts_h128", "text_b16", "text_b64", "deep512", "infer_h128"}

local TS = nn.Module:extend("TS")
function TS:init(d, h)
    self.lstm = nn.LSTM{input_size = d, hidden_size = h, batch_first = true}
    self.linear = nn.Linear(h, 1)
end
function TS:forward(x)
    local out = self.lstm(x)
    return self.linear(out:select(1, -1))
end

local Text = nn.Module:extend("Text")
function Text:init()
    self.emb = nn.Embedding(10000, 100, {freeze = true})
    self.lstm = nn.LSTM{input_size = 100, hidden_size = 100, batch_first = true}
    self.linear = nn.Linear(100, 1)
end
function Text:forward(x)
    local out = self.lstm(self.emb(x))
    return self.linear(out:select(1, -1)):sigmoid()
end

local Deep = nn.Module:extend("Deep")
function Deep:init()
    self.lstm = nn.LSTM{input_size = 512, hidden_size = 512, batch_first = true}
end
function Deep:forward(x)
    return (self.lstm(x))
end

local function build(case)
    if case:match("^ts_") then
        return TS(1, tonumber(case:sub(5))), nn.MSELoss(), true
    elseif case:match("^text_") then
        return Text(), nn.BCELoss(), true
    elseif case == "deep512" then
        return Deep(), nn.MSELoss(), true
    end
    return TS(1, 128), nil, false
end

local function params_of(sd)
    local out = {}
    for _, k in ipairs(sd._keys) do
        local n = k:match("^p%.(.*)$")
        if n then out[n] = sd[k] end
    end
    return out
end

local function median_ms(fn)
    for _ = 1, 3 do fn() end
    local ts = {}
    for i = 1, ITERS do
        local t0 = nn.clock()
        fn()
        ts[i] = (nn.clock() - t0) * 1000
    end
    table.sort(ts)
    local n = #ts
    return n % 2 == 1 and ts[(n + 1) // 2] or (ts[n // 2] + ts[n // 2 + 1]) / 2
end

local function rel(a, b)
    return math.abs(a - b) / math.max(math.abs(b), 1e-12)
end

for _, case in ipairs(CASES) do
    local sd = assert(nn.load(dir .. "/" .. case .. ".safetensors"))
    local m, loss_fn, train = build(case)
    m:load_state_dict(params_of(sd))
    local x, y = sd.x, sd.y
    -- parity before timing
    local out = nn.no_grad(m, x)
    local worst = 0
    local a, b = out:reshape{-1}:tolist(), sd["ref.out"]:reshape{-1}:tolist()
    for i = 1, #a do
        worst = math.max(worst, math.abs(a[i] - b[i]) / (1e-4 + math.abs(b[i])))
    end
    if loss_fn then
        worst = math.max(worst, rel(loss_fn(out, y):item(), sd["ref.loss"]:item()))
    end
    if worst > 1e-3 then
        error(case .. ": lualab and PyTorch disagree (relative difference " .. worst .. ")")
    end
    local step
    if train then
        local opt = nn.optim.Adam(m:parameters(), {lr = 1e-3})
        step = function()
            opt:zero_grad()
            loss_fn(m(x), y):backward()
            opt:step()
        end
    else
        step = function()
            nn.no_grad(m, x)
        end
    end
    print(case, string.format("%.3f", median_ms(step)), string.format("%.1e", worst))
    io.stdout:flush()
end

nn.set_num_threads(1)
local A, B = nn.randn{1024, 1024}, nn.randn{1024, 1024}
local ms = median_ms(function() nn.no_grad(nn.matmul, A, B) end)
print("sgemm_gflops", string.format("%.2f", 2 * 1024 ^ 3 / ms / 1e6))
nn.set_num_threads(threads)

if EPOCH_N > 0 then
    nn.manual_seed(1)
    local sd = assert(nn.load(dir .. "/text_b16.safetensors"))
    local m, loss_fn = build("text_b16")
    m:load_state_dict(params_of(sd))
    local X = nn.randint(1, 10000, {EPOCH_N, 15})
    local Y = nn.rand{EPOCH_N, 1}:gt(0.5)
    local opt = nn.optim.Adam(m:parameters(), {lr = 1e-3})
    local t0 = nn.clock()
    for i = 0, EPOCH_N - 1, 16 do
        local n = math.min(16, EPOCH_N - i)
        opt:zero_grad()
        loss_fn(m(X:narrow(0, i, n)), Y:narrow(0, i, n)):backward()
        opt:step()
    end
    print("text_epoch", string.format("%.3f", (nn.clock() - t0) * 1000))
end
