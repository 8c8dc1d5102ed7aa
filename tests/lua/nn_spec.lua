-- nn: tensors, autograd, layers, losses and optimizers against PyTorch 1.13
-- fixtures (tests/fixtures/make_nn.py) and hand-checked values.
local FIX = FIXTURES .. "/nn/"

local function load(name)
    local sd, err = nn.load(FIX .. name .. ".safetensors")
    assert(sd, err)
    return sd
end

-- |a - b| <= atol + rtol * |b| elementwise (numpy's allclose).
local function assert_close(a, b, rtol, what)
    rtol = rtol or 1e-5
    local atol = rtol / 10
    assert.same(b:shape(), a:shape(), what)
    local x, y = a:reshape{-1}:tolist(), b:reshape{-1}:tolist()
    for i = 1, #x do
        local tol = atol + rtol * math.abs(y[i])
        if math.abs(x[i] - y[i]) > tol then
            error(string.format("%s: element %d is %.9g, expected %.9g", what or "tensor", i, x[i], y[i]), 2)
        end
    end
end

-- Parameters "p.<name>" of a fixture as a state dict for a module.
local function params_of(sd)
    local out = {}
    for _, k in ipairs(sd._keys) do
        local name = k:match("^p%.(.*)$")
        if name then
            out[name] = sd[k]
        end
    end
    return out
end

local function check_grads(sd, mod, inputs, rtol)
    for _, kv in ipairs(mod:named_parameters()) do
        local ref = sd["grad.p." .. kv[1]]
        if ref then
            assert_close(kv[2].grad, ref, rtol, "grad of " .. kv[1])
        end
    end
    for name, t in pairs(inputs) do
        local ref = sd["grad.in." .. name]
        if ref then
            assert_close(t.grad, ref, rtol, "grad of input " .. name)
        end
    end
end

-- sum(out_i * gy_i) over the outputs, then backward.
local function backprop(sd, outs)
    local loss
    for i, o in ipairs(outs) do
        local term = (o * sd["gy" .. (i - 1)]):sum()
        loss = loss and loss + term or term
    end
    loss:backward()
end

local function input(sd, name)
    local t = sd["in." .. name]:clone():detach()
    t.requires_grad = true
    return t
end

describe("nn tensors", function()
    it("builds tensors from nested tables and reads them back", function()
        local t = nn.tensor{{1, 2, 3}, {4, 5, 6}}
        assert.same({2, 3}, t:shape())
        assert.same({{1, 2, 3}, {4, 5, 6}}, t:tolist())
        assert.equals(6, t:get(1, 2))
        assert.equals(21, t:sum():item())
    end)

    it("views share storage: transpose, narrow, select, unsqueeze, expand", function()
        local t = nn.arange(6):reshape{2, 3}
        assert.same({{0, 3}, {1, 4}, {2, 5}}, t:t():tolist())
        assert.same({{1, 2}, {4, 5}}, t:narrow(1, 1, 2):tolist())
        assert.same({3, 4, 5}, t:select(0, 1):tolist())
        assert.same({1, 2, 3}, t:unsqueeze(0):shape())
        assert.same({{0, 1, 2}, {0, 1, 2}}, t:select(0, 0):expand{2, 3}:tolist())
        t:select(0, 0):fill_(7)
        assert.same({{7, 7, 7}, {3, 4, 5}}, t:tolist())
    end)

    it("rejects a bad target shape for reshape and expand", function()
        local t = nn.zeros({2, 3})
        local ok, err = pcall(t.reshape, t, {"a", 3})
        assert.is_false(ok)
        assert.matches("bad argument #2 to '?' (shape must hold integers)", err, 1, true)
        ok, err = pcall(t.reshape, t, 1, 1, 1, 1, 1, 1, 1, 1, 6)
        assert.is_false(ok)
        assert.matches("bad argument #10 to '?' (too many dimensions)", err, 1, true)
    end)

    it("broadcasts elementwise ops and compares", function()
        local a = nn.tensor{{1}, {2}}
        local b = nn.tensor{10, 20, 30}
        assert.same({{11, 21, 31}, {12, 22, 32}}, (a + b):tolist())
        assert.same({{0, 1, 1}, {1, 1, 1}}, (a * b):gt(15):tolist())
        assert.same({2, 4}, (nn.tensor{1, 2} * 2):tolist())
        local ok, err = pcall(function() return nn.ones{2, 3} + nn.ones{4} end)
        assert.is_false(ok)
        assert.matches("Add: shapes [2, 3] and [4] cannot be broadcast together", err, 1, true)
    end)

    it("reduces along dims with argmax, var and std", function()
        local t = nn.tensor{{1, 5, 3}, {4, 2, 6}}
        local m, i = t:max(1)
        assert.same({5, 6}, m:tolist())
        assert.same({1, 2}, i:tolist())
        assert.same({2.5, 3.5, 4.5}, t:mean(0):tolist())
        assert.near(2.0, t:select(0, 0):std():item(), 1e-6)
        assert.near(4.0, t:select(0, 0):var():item(), 1e-6)
        assert.same({{9}, {12}}, t:sum(1, true):tolist())
    end)

    it("does matmul, cat, stack, chunk and index_select", function()
        local a = nn.tensor{{1, 2}, {3, 4}}
        assert.same({{7, 10}, {15, 22}}, a:matmul(a):tolist())
        assert.same({4, 2}, nn.cat({a, a}, 0):shape())
        assert.same({2, 2, 2}, nn.stack({a, a}, 1):shape())
        local parts = nn.arange(5):chunk(2)
        assert.same({0, 1, 2}, parts[1]:tolist())
        assert.same({3, 4}, parts[2]:tolist())
        assert.same({{3, 4}, {1, 2}, {3, 4}}, a:index_select(0, nn.tensor{1, 0, 1}):tolist())
        local ok, err = pcall(a.matmul, a, nn.ones{3, 2})
        assert.is_false(ok)
        assert.matches("matmul: shapes [2, 2] and [3, 2] do not match", err, 1, true)
    end)

    it("explains how to index", function()
        local ok, err = pcall(function() return nn.zeros{3}[1] end)
        assert.is_false(ok)
        assert.matches("Tensor: use t:select(0, i) or t:get(i, ...) (0-based) to index, not t[i]", err, 1, true)
    end)

    it("flips along a dim", function()
        assert.same({{2, 1, 0}, {5, 4, 3}}, nn.arange(6):reshape{2, 3}:flip(1):tolist())
    end)

    it("has numerically stable activations", function()
        local t = nn.tensor{-1000, 0, 1000}
        assert.same({0, 0.5, 1}, t:sigmoid():tolist())
        assert.same({0, 1000}, {t:softplus():get(0), t:softplus():get(2)})
        assert.near(math.log(2), t:softplus():get(1), 1e-7)
        local s = nn.tensor{{1000, 1000}}:softmax(1):tolist()
        assert.same({{0.5, 0.5}}, s)
        assert.near(-math.log(2), nn.tensor{{1000, 1000}}:log_softmax(1):get(0, 0), 1e-6)
    end)

    it("draws repeatable random numbers from manual_seed", function()
        nn.manual_seed(42)
        local a = nn.randn{5}:tolist()
        nn.manual_seed(42)
        assert.same(a, nn.randn{5}:tolist())
        local r = nn.randint(0, 3, {100}):tolist()
        for _, v in ipairs(r) do
            assert.is_true(v == 0 or v == 1 or v == 2)
        end
    end)

    it("displays shape and elided values as PyTorch does", function()
        local s = tostring(nn.zeros{2, 100})
        assert.matches("shape=[2, 100]", s, 1, true)
        assert.matches("0., 0., 0.,  ..., 0., 0., 0.", s, 1, true)
    end)
end)

describe("nn autograd", function()
    it("accumulates gradients and backward takes a gradient", function()
        local x = nn.tensor({1, 2, 3}, {requires_grad = true})
        local y = x * x
        y:backward(nn.tensor{1, 1, 1})
        assert.same({2, 4, 6}, x.grad:tolist())
        ;(x * 3):sum():backward()
        assert.same({5, 7, 9}, x.grad:tolist())
    end)

    it("refuses backward twice through a freed graph", function()
        local x = nn.tensor({1, 2}, {requires_grad = true})
        local y = x:tanh():sum()
        y:backward()
        local ok, err = pcall(y.backward, y)
        assert.is_false(ok)
        assert.matches("backward through the graph a second time", err, 1, true)
        local z = (x * 2):sum()
        z:backward{retain_graph = true}
        z:backward()
    end)

    it("needs a gradient for non-scalar outputs", function()
        local x = nn.tensor({1, 2}, {requires_grad = true})
        local ok, err = pcall(function() (x * 2):backward() end)
        assert.is_false(ok)
        assert.matches("grad can be implicitly created only for one-element outputs (shape [2])", err, 1, true)
    end)

    it("detach and no_grad record nothing", function()
        local x = nn.tensor({1, 2}, {requires_grad = true})
        assert.is_false(x:detach().requires_grad)
        local y = nn.no_grad(function() return x * 2 end)
        assert.is_false(y.requires_grad)
        assert.is_true((x * 2).requires_grad)
    end)
end)

describe("nn layers match PyTorch 1.13", function()
    it("Linear", function()
        local sd = load("linear")
        local m = nn.Linear(3, 4)
        m:load_state_dict(params_of(sd))
        local x = input(sd, "x")
        local y = m(x)
        assert_close(y, sd.out0, 1e-5, "output")
        backprop(sd, {y})
        check_grads(sd, m, {x = x})
    end)

    it("Embedding with padding_idx", function()
        local sd = load("embedding")
        local m = nn.Embedding(10, 4, {padding_idx = 0})
        m:load_state_dict(params_of(sd))
        local y = m(sd["in.idx"])
        assert_close(y, sd.out0, 1e-5, "output")
        backprop(sd, {y})
        check_grads(sd, m, {})
    end)

    local function rnn_case(name, make, with_state)
        local sd = load(name)
        local m = make()
        m:load_state_dict(params_of(sd))
        local inputs = {x = input(sd, "x")}
        local outs
        if with_state == "hc" then
            inputs.h0, inputs.c0 = input(sd, "h0"), input(sd, "c0")
            outs = {m(inputs.x, {inputs.h0, inputs.c0})}
        elseif with_state == "h" then
            inputs.h0 = input(sd, "h0")
            outs = {m(inputs.x, inputs.h0)}
        else
            outs = {m(inputs.x)}
        end
        for i, o in ipairs(outs) do
            assert_close(o, sd["out" .. (i - 1)], 1e-5, name .. " output " .. i)
        end
        backprop(sd, outs)
        check_grads(sd, m, inputs)
    end

    it("LSTM, one layer with h0 and c0", function()
        rnn_case("lstm1", function() return nn.LSTM{input_size = 3, hidden_size = 5} end, "hc")
    end)
    it("LSTM, two layers, batch_first", function()
        rnn_case("lstm2", function()
            return nn.LSTM{input_size = 3, hidden_size = 4, num_layers = 2, batch_first = true}
        end)
    end)
    it("LSTM, bidirectional", function()
        rnn_case("lstm_bi", function()
            return nn.LSTM{input_size = 2, hidden_size = 3, batch_first = true, bidirectional = true}
        end)
    end)
    it("GRU, two layers with h0", function()
        rnn_case("gru", function() return nn.GRU{input_size = 3, hidden_size = 4, num_layers = 2} end, "h")
    end)
    it("GRU, bidirectional", function()
        rnn_case("gru_bi", function()
            return nn.GRU{input_size = 2, hidden_size = 3, batch_first = true, bidirectional = true}
        end)
    end)

    it("LSTMCell", function()
        local sd = load("lstmcell")
        local m = nn.LSTMCell(3, 4)
        m:load_state_dict(params_of(sd))
        local x, h, c = input(sd, "x"), input(sd, "h"), input(sd, "c")
        local h1, c1 = m(x, {h, c})
        assert_close(h1, sd.out0, 1e-5, "h")
        assert_close(c1, sd.out1, 1e-5, "c")
        backprop(sd, {h1, c1})
        check_grads(sd, m, {x = x, h = h, c = c})
    end)

    it("Conv1d", function()
        local sd = load("conv1d")
        local m = nn.Conv1d(3, 4, 3, {stride = 2, padding = 1})
        m:load_state_dict(params_of(sd))
        local x = input(sd, "x")
        local y = m(x)
        assert_close(y, sd.out0, 1e-5, "output")
        backprop(sd, {y})
        check_grads(sd, m, {x = x})
    end)

    for _, case in ipairs({
        {"mse", nn.MSELoss}, {"l1", nn.L1Loss}, {"bce", nn.BCELoss},
        {"bce_logits", nn.BCEWithLogitsLoss}, {"cross_entropy", nn.CrossEntropyLoss},
        {"nll", nn.NLLLoss}, {"huber", function() return nn.HuberLoss{delta = 0.5} end},
    }) do
        it("loss " .. case[1], function()
            local sd = load("loss_" .. case[1])
            local x = input(sd, "x")
            local l = case[2]()(x, sd["in.y"])
            assert_close(l, sd.out0, 1e-5, "loss")
            l:backward()
            assert_close(x.grad, sd["grad.in.x"], 1e-5, "grad")
        end)
    end

    for _, case in ipairs({
        {"sgd", function(p) return nn.optim.SGD(p, {lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.01}) end},
        {"adam", function(p) return nn.optim.Adam(p, {lr = 0.05}) end},
        {"rmsprop", function(p) return nn.optim.RMSprop(p, {lr = 0.01, momentum = 0.5}) end},
        {"adamw", function(p) return nn.optim.AdamW(p, {lr = 0.05}) end},
        {"adagrad", function(p) return nn.optim.Adagrad(p, {lr = 0.1}) end},
    }) do
        it("optimizer " .. case[1] .. " after 3 steps", function()
            local sd = load("optim_" .. case[1])
            local m = nn.Linear(3, 2)
            m:load_state_dict(params_of(sd))
            local opt = case[2](m:parameters())
            local crit = nn.MSELoss()
            for _ = 1, 3 do
                opt:zero_grad()
                crit(m(sd["in.x"]), sd["in.y"]):backward()
                opt:step()
            end
            assert_close(m.weight, sd["after.weight"], 1e-4, "weight")
            assert_close(m.bias, sd["after.bias"], 1e-4, "bias")
        end)
    end
end)

describe("nn bad input", function()
    it("names the layer and both shapes", function()
        local ok, err = pcall(function() return nn.Linear(4, 3)(nn.ones{2, 5}) end)
        assert.is_false(ok)
        assert.matches("Linear(4, 3): input has shape [2, 5], expected last dimension 4", err, 1, true)
        ok, err = pcall(function() return nn.LSTM{input_size = 3, hidden_size = 2}(nn.ones{4, 2, 5}) end)
        assert.is_false(ok)
        assert.matches("LSTM(3, 2): input has shape [4, 2, 5], expected last dimension 3 (input_size)", err, 1, true)
        ok, err = pcall(function() return nn.MSELoss()(nn.ones{3, 1}, nn.ones{3}) end)
        assert.matches("MSELoss: input shape [3, 1] and target shape [3] differ", err, 1, true)
    end)

    it("names the argument of the wrong type", function()
        local ok, err = pcall(function() return nn.Linear(2, 2)("x") end)
        assert.is_false(ok)
        assert.matches("Linear(2, 2): bad argument #1 (Tensor expected, got string)", err, 1, true)
        ok, err = pcall(nn.Linear, "a", 2)
        assert.matches("Linear: bad argument #1 (non-negative integer expected, got string)", err, 1, true)
    end)

    it("lists each offending key when loading weights", function()
        local m = nn.Linear(3, 2)
        local ok, err = pcall(m.load_state_dict, m, {weight = nn.zeros{2, 4}, extra = nn.zeros{1}})
        assert.is_false(ok)
        assert.matches("size mismatch: weight has shape [2, 4] in the state dict, [2, 3] in the model", err, 1, true)
        assert.matches("missing keys: bias", err, 1, true)
        assert.matches("unexpected keys: extra", err, 1, true)
    end)

    it("load of a missing file returns nil and a message", function()
        local sd, err = nn.load("/nonexistent/x.safetensors")
        assert.is_nil(sd)
        assert.matches("x.safetensors", err, 1, true)
    end)
end)

describe("nn modules", function()
    it("save and load round-trip with PyTorch names", function()
        local m = nn.LSTM{input_size = 2, hidden_size = 3, num_layers = 2}
        local keys = {}
        for _, kv in ipairs(m:named_parameters()) do
            keys[#keys + 1] = kv[1]
        end
        assert.same({"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"}, keys)
        local path = os.tmpname()
        nn.save(m:state_dict(), path)
        local m2 = nn.LSTM{input_size = 2, hidden_size = 3, num_layers = 2}
        m2:load_state_dict(nn.load(path))
        os.remove(path)
        assert.same(m.weight_hh_l1:tolist(), m2.weight_hh_l1:tolist())
    end)

    it("train/eval switches dropout; Sequential and frozen Embedding", function()
        local m = nn.Sequential{nn.Embedding(5, 3, {freeze = true}), nn.Dropout(0.5), nn.Linear(3, 1)}
        assert.equals(3, #m:parameters())
        assert.equals(3, #m:state_dict()._keys)
        assert.equals(15 + 3 + 1, m:num_parameters())
        assert.equals(3 + 1, m:num_parameters(true))
        local before = m["0"].weight:tolist()
        local opt = nn.optim.Adam(m:parameters(), {lr = 0.1})
        m:train()
        nn.BCEWithLogitsLoss()(m(nn.tensor{{1, 2}}), nn.tensor{{{1}, {0}}}):backward()
        opt:step()
        assert.same(before, m["0"].weight:tolist())
        assert.is_nil(m["0"].weight.grad)
        m:eval()
        local x = nn.tensor{{1, 2}}
        assert.same(m(x):tolist(), m(x):tolist())
    end)

    it("trains the lab's Exercise 2 model (LSTMCell, LSTMCell, Linear, future steps)", function()
        nn.manual_seed(0)
        nn.set_num_threads(1)
        local Seq = nn.Module:extend("Sequence")
        function Seq:init()
            self.lstm1 = nn.LSTMCell(1, 75)
            self.lstm2 = nn.LSTMCell(75, 75)
            self.linear = nn.Linear(75, 1)
        end
        function Seq:forward(input, future)
            local B = input:shape(0)
            local h, c = nn.zeros{B, 75}, nn.zeros{B, 75}
            local h2, c2 = nn.zeros{B, 75}, nn.zeros{B, 75}
            local outs, out = {}, nil
            for _, x in ipairs(input:chunk(input:shape(1), 1)) do
                h, c = self.lstm1(x, {h, c})
                h2, c2 = self.lstm2(h, {h2, c2})
                out = self.linear(h2)
                outs[#outs + 1] = out
            end
            for _ = 1, future or 0 do
                h, c = self.lstm1(out, {h, c})
                h2, c2 = self.lstm2(h, {h2, c2})
                out = self.linear(h2)
                outs[#outs + 1] = out
            end
            return nn.cat(outs, 1)
        end
        local data = (nn.arange(0, 8 * 21):reshape{8, 21} * 0.2):sin()
        local inp, target = data:narrow(1, 0, 20), data:narrow(1, 1, 20)
        local function run()
            nn.manual_seed(0)
            local m = Seq()
            local opt = nn.optim.Adam(m:parameters(), {lr = 0.01})
            local crit = nn.MSELoss()
            local losses = {}
            for epoch = 1, 12 do
                opt:zero_grad()
                local loss = crit(m(inp), target)
                loss:backward()
                opt:step()
                losses[epoch] = loss:item()
            end
            return losses, m
        end
        local l1, m = run()
        local l2 = run()
        assert.same(l1, l2) -- bit-for-bit repeatable
        assert(l1[12] < l1[1] * 0.5, "losses " .. table.concat(l1, " "))
        local pred = nn.no_grad(m, inp, 5)
        assert.same({8, 25}, pred:shape())
    end)

    it("applies recurrent_dropout and dropout only in training", function()
        nn.manual_seed(3)
        local m = nn.LSTM{input_size = 2, hidden_size = 4, num_layers = 2, dropout = 0.5,
            recurrent_dropout = 0.5}
        local x = nn.randn{6, 3, 2}
        m:eval()
        local a, b = m(x), m(x)
        assert.same(a:tolist(), b:tolist())
        m:train()
        local c = m(x)
        assert.are_not.same(a:tolist(), c:tolist())
        -- recurrent dropout of 0 in training equals eval
        local m2 = nn.GRU{input_size = 2, hidden_size = 4}
        m2:eval()
        local e = m2(x)
        m2:train()
        assert.same(e:tolist(), m2(x):tolist())
    end)

    it("exposes one recurrent layer for front ends (reverse, recurrent mask)", function()
        nn.manual_seed(4)
        local F = nn.functional
        local x = nn.randn{5, 2, 3} -- (T, B, D)
        local w_ih, w_hh = nn.randn{8, 3} * 0.3, nn.randn{8, 2} * 0.3
        local out, h, c = F.rnn_layer("lstm", x, nil, nil, w_ih, w_hh, nil, nil, false)
        assert.same({5, 2, 2}, out:shape())
        assert.same(out:select(0, 4):tolist(), h:tolist())
        assert.same({2, 2}, c:shape())
        -- reverse = running over the flipped sequence
        local rout, rh = F.rnn_layer("lstm", x, nil, nil, w_ih, w_hh, nil, nil, true)
        local fout = F.rnn_layer("lstm", x:flip(0), nil, nil, w_ih, w_hh, nil, nil, false)
        assert.same(fout:flip(0):tolist(), rout:tolist())
        assert.same(rout:select(0, 0):tolist(), rh:tolist())
        -- a mask of ones changes nothing; zeros cut the recurrence
        local ones = F.rnn_layer("lstm", x, nil, nil, w_ih, w_hh, nil, nil, false, nn.ones{2, 2})
        assert.same(out:tolist(), ones:tolist())
        local cut = F.rnn_layer("tanh", x, nil, nil, nn.randn{2, 3}, nn.randn{2, 2}, nil, nil, false,
            nn.zeros{2, 2})
        assert.same({5, 2, 2}, cut:shape())
        local m = F.dropout_mask({1000}, 0.2):tolist()
        local zeros = 0
        for _, v in ipairs(m) do
            if v == 0 then zeros = zeros + 1 else assert.near(1.25, v, 1e-6) end
        end
        assert.is_true(zeros > 150 and zeros < 250)
        local ok, err = pcall(F.rnn_layer, "lstm", x, nil, nil, w_ih, nn.randn{8, 3})
        assert.is_false(ok)
        assert.matches("lstm: weight_hh has shape [8, 3], expected [8, 2]", err, 1, true)
    end)

    it("clips gradients and schedules the learning rate", function()
        local p = nn.tensor({3, 4}, {requires_grad = true})
        ;(p * p):sum():backward() -- grad = 6, 8: norm 10
        local norm = nn.utils.clip_grad_norm_({p}, 5)
        assert.near(10, norm, 1e-5)
        assert.near(3, p.grad:get(0), 1e-4)
        nn.utils.clip_grad_value_({p}, 1)
        assert.same({1, 1}, p.grad:tolist())
        local opt = nn.optim.SGD({p}, {lr = 1})
        local s = nn.optim.lr_scheduler.StepLR(opt, {step_size = 2, gamma = 0.5})
        s:step(); s:step()
        assert.near(0.5, opt:get_lr(), 1e-12)
        local r = nn.optim.lr_scheduler.ReduceLROnPlateau(opt, {patience = 1, factor = 0.1})
        r:step(1); r:step(1); r:step(1)
        assert.near(0.05, opt:get_lr(), 1e-12)
    end)
end)
