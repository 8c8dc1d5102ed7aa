-- ---
-- title: "Exercise 2: an LSTM forecaster for battery cycles"
-- ---

-- %% [markdown]
-- # Exercise 2 — an LSTM on the battery time series
--
-- Trey Research wants to warn drivers before a battery runs out of its
-- rated charge cycles. In Exercise 1 an automated search picked a
-- forecaster for us; here we build one by hand: a small recurrent network
-- (two LSTM cells and a linear layer) written in lualab's PyTorch-style
-- `nn` module, trained on one battery's daily cycle usage.
--
-- The steps:
--
-- 1. fetch the battery file and look at it;
-- 2. cut the series into training windows (input, and the same values one
--    day later as the target);
-- 3. define the `LSTMPredictor` module;
-- 4. train it with mean squared error and Adam, watching the loss;
-- 5. predict the next 30 days;
-- 6. going further: scaled values, more windows, a saved and tracked model.
--
-- Run a cell with **Shift-Enter** (or **Ctrl-E**); **R** runs them all.

-- %% [markdown]
-- ## Parameters
--
-- Every knob of the exercise is in the next cell (the cell is tagged
-- `parameters`, so `lualab --run 02-rnn-forecast.lua -p epochs 20` can
-- change them from the shell). The values are the lab's.

-- %% tags=["parameters"]
epochs = 150 -- training passes over the 6 windows
lr = 0.5 -- Adam's learning rate (the lab's: high on purpose)
window = 250 -- days per training window
n_windows = 6 -- non-overlapping windows cut from the end of the series
hidden1 = 75 -- units of the first LSTM cell
hidden2 = 75 -- units of the second LSTM cell
future = 30 -- days to forecast
seed = 0 -- random seed for the initial weights
further = true -- run the "going further" part
further_epochs = 60
further_windows = 800 -- overlapping windows of further_window days
further_window = 75
further_hidden = 50
further_lr = 0.2

-- %% [markdown]
-- ## 1. The data
--
-- `datasets.fetch` is the lab's "download the data" step: it writes
-- `data/daily-battery-time-series.csv` the first time and reuses it after
-- that. The file has one row per day for battery 0, from 2013-01-01:
-- its age, the trips of the day and how long they took, the charge cycles
-- used that day and since the battery was new, and its rated cycles (200).
--
-- The first column has no name in the file (it is the row index of the
-- program that wrote it), so the reader calls it `Unnamed: 0`, as pandas
-- does, and says so.

-- %%
nn.manual_seed(seed)
local path = datasets.fetch("daily-battery-time-series")
battery = df.read_csv(path)
print(path, battery:shape())
print(table.concat(battery:columns(), ", "))
battery:head()

-- %% [markdown]
-- We forecast `Daily_Cycles_Used`, the share of a full charge cycle used
-- each day, for battery 0. Here is what the column looks like, with its
-- 30-day rolling mean:

-- %%
battery0 = battery:filter("Battery_ID == 0")
local cycles = battery0:col("Daily_Cycles_Used")
series = cycles:to_table()
print(string.format("%d values, mean %.4f, min %.4f, max %.4f", #series,
    cycles:mean(), cycles:min(), cycles:max()))
local smooth = battery0:rolling("Daily_Cycles_Used", 30, "mean"):to_table()
plot.line{series = {{name = "daily", y = series},
                    {name = "30-day mean", y = smooth, color = "orange"}},
          title = "Battery 0: daily cycles used", xlabel = "day", ylabel = "cycles"}

-- %% [markdown]
-- ## 2. Training windows
--
-- A recurrent network reads a sequence one step at a time. We cut
-- `n_windows` windows of `window` days from the end of the series, side
-- by side, none overlapping. For window `i` (counting from the end, from
-- 0) the lab takes, in Python's slice notation,
--
-- ```
-- input  = s[-(i+1)*250-2 : -i*250-2]
-- target = s[-(i+1)*250-1 : -i*250-1]
-- ```
--
-- so the target is the input moved one day later: at every step the
-- network learns to predict tomorrow from what it has read so far. The
-- last two days are kept out of the input. Both tensors are
-- `n_windows x window`.

-- %%
function windows(s, count, len, skip)
    -- skip = 2: the lab's input stops two days before the end
    local n = #s
    local inp, tgt = {}, {}
    for i = 0, count - 1 do
        local first = n - (i + 1) * len - skip -- 0-based start of the input
        if first < 0 then
            error(string.format(
                "windows: %d windows of %d days need %d values, the series has %d",
                count, len, count * len + skip, n), 0)
        end
        local x, y = {}, {}
        for k = 1, len do
            x[k] = s[first + k]
            y[k] = s[first + k + 1]
        end
        inp[i + 1], tgt[i + 1] = x, y
    end
    return nn.tensor(inp), nn.tensor(tgt)
end

input, target = windows(series, n_windows, window, 2)
print("input:  " .. table.concat(input:shape(), " x "))
print("target: " .. table.concat(target:shape(), " x "))

-- %% [markdown]
-- ## 3. The model
--
-- `LSTMPredictor` is an `nn.Module` with three layers: `LSTMCell(1, 75)`
-- reads one value a step, `LSTMCell(75, 75)` reads the first cell's output,
-- and `Linear(75, 1)` turns the second cell's state into a prediction.
--
-- `forward(input, future)` starts both cells with zero states, walks the
-- time steps (`input:chunk` splits the `B x T` tensor into `T` columns),
-- and then runs `future` extra steps in which the network's own last
-- prediction is its next input: that is how it forecasts past the data.

-- %%
LSTMPredictor = nn.Module:extend("LSTMPredictor")

function LSTMPredictor:init(h1, h2)
    self.h1, self.h2 = h1, h2
    self.lstm1 = nn.LSTMCell(1, h1)
    self.lstm2 = nn.LSTMCell(h1, h2)
    self.linear = nn.Linear(h2, 1)
end

function LSTMPredictor:forward(x, future)
    local B = x:shape(0)
    local h, c = nn.zeros{B, self.h1}, nn.zeros{B, self.h1}
    local h2, c2 = nn.zeros{B, self.h2}, nn.zeros{B, self.h2}
    local outs, out = {}, nil
    for _, step in ipairs(x:chunk(x:shape(1), 1)) do
        h, c = self.lstm1(step, {h, c})
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

model = LSTMPredictor(hidden1, hidden2)
model

-- %% [markdown]
-- ## 4. Training
--
-- The loss is the mean squared error between the predictions and the
-- targets; Adam updates the weights. Each epoch is one full batch: all the
-- windows at once. `opt:zero_grad()` clears the gradients, `loss:backward()`
-- computes them, `opt:step()` moves the weights.
--
-- The learning rate 0.5 is very high for Adam: expect the loss to jump
-- (by four orders of magnitude at epoch 2 in the lab) and then settle in
-- damped oscillations. The progress line shows the loss curve live (a
-- sparkline of log10(loss) over the last epochs); the chart follows.
--
-- `train` is a function because "going further" trains a second model
-- the same way.

-- %%
function train(m, x, y, n_epochs, rate, label)
    local opt = nn.optim.Adam(m:parameters(), {lr = rate})
    local criterion = nn.MSELoss()
    local losses = {}
    for epoch = 1, n_epochs do
        opt:zero_grad()
        local loss = criterion(m(x), y)
        loss:backward()
        opt:step()
        losses[epoch] = loss:item()
        collectgarbage() -- free this epoch's tensors now (Lua cannot see their size)
        print(string.format("epoch %3d  loss %.6g", epoch, losses[epoch]))
        local recent = {}
        for k = math.max(1, epoch - 39), epoch do
            recent[#recent + 1] = math.log(losses[k], 10)
        end
        lualab.progress{label = label, done = epoch, total = n_epochs,
                        metrics = string.format("loss %.4g %s", losses[epoch],
                            (plot.sparkline{y = recent}:text():gsub("%s+$", ""))),
                        finished = epoch == n_epochs}
    end
    return losses
end

-- %%
losses = train(model, input, target, epochs, lr, "training")
print(string.format("final loss %.6g", losses[#losses]))

-- %% [markdown]
-- The loss per epoch, on a log scale (the spike would flatten everything
-- else on a linear one):

-- %%
plot.line{y = losses, log = "y", title = "Training loss (MSE)",
          xlabel = "epoch", ylabel = "loss"}

-- %% [markdown]
-- ## 5. Forecast the next 30 days
--
-- We give the model the last `window` days and ask for `future` more
-- steps. `nn.no_grad` runs it without recording gradients. The chart shows
-- the actual values in green and the forecast in red.

-- %%
local last = {}
for k = #series - window + 1, #series do last[#last + 1] = series[k] end
local out = nn.no_grad(model, nn.tensor({last}), future):tolist()[1]
forecast = {}
for k = window + 1, window + future do forecast[#forecast + 1] = out[k] end
local x_actual, x_pred = {}, {}
for k = 1, window do x_actual[k] = #series - window + k - 1 end
for k = 1, future do x_pred[k] = #series + k - 1 end
local mean = 0
for _, v in ipairs(forecast) do mean = mean + v / future end
print(string.format("forecast for days %d..%d: mean %.4f (the series' mean is %.4f)",
    #series, #series + future - 1, mean, battery:col("Daily_Cycles_Used"):mean()))
plot.line{series = {{name = "actual", x = x_actual, y = last, color = "green"},
                    {name = "predicted", x = x_pred, y = forecast, color = "red"}},
          title = "Battery 0: last days and the 30-day forecast",
          xlabel = "battery age (days)", ylabel = "cycles used"}

-- %% [markdown]
-- The forecast is almost flat, close to the mean. That is not a bug: the
-- daily cycles are independent noise around a mean (each day's trips do
-- not depend on yesterday's), so the best a forecaster can do is predict
-- the mean. The lab says as much. What matters for the alert of the
-- scenario is the sum over the next 30 days, and that the mean gets right.

-- %% [markdown]
-- ## 6. Going further
--
-- A later version of the lab made two changes that help any recurrent
-- network:
--
-- - **standardise** the values (subtract the mean, divide by the standard
--   deviation), so the inputs and targets are around 0 with spread 1
--   instead of around 0.14 with spread 0.01;
-- - train on many **overlapping** windows: 800 windows of 75 days, each
--   starting one day after the previous one, instead of 6 of 250.
--
-- With smaller cells (50 and 50) and a learning rate of 0.2. We then
-- compare the two models on the same task: predict each of the last 250
-- days from the days before it, in cycles (the standardised model's
-- output is scaled back).

-- %%
if further then
    local n = #series
    local mu, sd = 0, 0
    for _, v in ipairs(series) do mu = mu + v / n end
    for _, v in ipairs(series) do sd = sd + (v - mu) ^ 2 / (n - 1) end
    sd = math.sqrt(sd)
    z = {}
    for k, v in ipairs(series) do z[k] = (v - mu) / sd end
    -- overlapping windows: one day apart, the last one ending at the end
    local inp, tgt = {}, {}
    for i = 0, further_windows - 1 do
        local first = n - further_window - 1 - i
        local x, y = {}, {}
        for k = 1, further_window do
            x[k], y[k] = z[first + k], z[first + k + 1]
        end
        inp[i + 1], tgt[i + 1] = x, y
    end
    zin, ztgt = nn.tensor(inp), nn.tensor(tgt)
    print(string.format("mean %.5f, sd %.5f; input %s, target %s", mu, sd,
        table.concat(zin:shape(), " x "), table.concat(ztgt:shape(), " x ")))
    nn.manual_seed(seed)
    model2 = LSTMPredictor(further_hidden, further_hidden)
    losses2 = train(model2, zin, ztgt, further_epochs, further_lr, "going further")
    print(string.format("final loss %.6g (standardised units)", losses2[#losses2]))
    scale = {mean = mu, sd = sd}
end

-- %% [markdown]
-- To compare the two trainings, divide each loss by the variance of the
-- values the model was trained on: 1 means "no better than predicting
-- the mean", below 1 is a fit. The first model starts far above 1 and
-- spikes; the standardised one starts near 1 and stays sane.

-- %%
if further then
    local var = scale.sd ^ 2
    local r1, r2 = {}, {}
    for k, v in ipairs(losses) do r1[k] = v / var end
    for k, v in ipairs(losses2) do r2[k] = v end -- standardised: variance 1
    print(string.format("final loss / variance: first model %.3f, standardised %.3f",
        r1[#r1], r2[#r2]))
    display(plot.line{series = {{name = "first model", y = r1, color = "red"},
                                {name = "standardised", y = r2, color = "blue"}},
                      log = "y", hline = 1,
                      title = "Training loss / variance of the target",
                      xlabel = "epoch", ylabel = "loss / variance"})
end

-- %% [markdown]
-- Now both models predict each of the last 250 days from the days before
-- it (one step ahead), against the simplest forecaster: "tomorrow is the
-- mean". RMSE is in cycles.

-- %%
if further then
    local n = #series
    local x = {}
    for k = n - window, n - 1 do x[#x + 1] = series[k] end -- days before each target
    local actual = {}
    for k = n - window + 1, n do actual[#actual + 1] = series[k] end
    local p1 = nn.no_grad(model, nn.tensor({x})):tolist()[1]
    local zx = {}
    for k, v in ipairs(x) do zx[k] = (v - scale.mean) / scale.sd end
    local p2 = nn.no_grad(model2, nn.tensor({zx})):tolist()[1]
    for k, v in ipairs(p2) do p2[k] = v * scale.sd + scale.mean end
    local function rmse(p)
        local s = 0
        for k, v in ipairs(actual) do
            local guess = type(p) == "table" and p[k] or p
            s = s + (guess - v) ^ 2
        end
        return math.sqrt(s / #actual)
    end
    rmse_first, rmse_further, rmse_mean = rmse(p1), rmse(p2), rmse(scale.mean)
    print(string.format("RMSE: first model %.5f, standardised model %.5f, the mean %.5f",
        rmse_first, rmse_further, rmse_mean))
    local xs = {}
    for k = 1, #actual do xs[k] = n - window + k - 1 end
    display(plot.line{series = {{name = "actual", x = xs, y = actual, color = "green"},
                                {name = "first model", x = xs, y = p1, color = "red"},
                                {name = "standardised", x = xs, y = p2, color = "blue"}},
                      title = "One-step-ahead predictions, last 250 days",
                      xlabel = "battery age (days)", ylabel = "cycles used"})
end

-- %% [markdown]
-- Standardising makes training well behaved: no explosion, a loss that
-- means something at a glance, and (with the lab's parameters) a fit a
-- little below the variance on the windows it learned from. Predicting
-- one day ahead, both models end up close to the mean, and so close to
-- each other: there is little to learn in independent daily noise. On real telemetry with
-- weekly and yearly patterns (the `battery-fleet-telemetry` data set) the
-- same network has something to find.
--
-- ## Save the model and track the run
--
-- `nn.save` writes the weights as safetensors (the names are PyTorch's, so
-- `torch` can read them too). We log the run with lualab's MLflow-style
-- tracking: the parameters, the final losses and RMSEs, the loss chart and
-- the weights file. `lualab runs` lists the runs afterwards.

-- %%
mlflow.set_experiment("battery-lstm")
do
    local run <close> = mlflow.start_run{run_name = "lstm-predictor"}
    local best = further and model2 or model
    local file = "lstm-predictor.safetensors"
    nn.save(best, file)
    mlflow.log_params{epochs = epochs, lr = lr, window = window, n_windows = n_windows,
                      hidden1 = hidden1, hidden2 = hidden2, further = further}
    mlflow.log_metric("final_loss", losses[#losses])
    for e, v in ipairs(losses) do mlflow.log_metric("loss", v, e) end
    if further then
        mlflow.log_params{further_epochs = further_epochs,
                          further_windows = further_windows,
                          further_window = further_window,
                          further_hidden = further_hidden, further_lr = further_lr}
        mlflow.log_metrics{further_final_loss = losses2[#losses2],
                           rmse_first = rmse_first,
                           rmse_further = rmse_further, rmse_mean = rmse_mean}
        mlflow.log_dict(scale, "scale.json")
    end
    mlflow.log_figure(plot.line{y = losses, log = "y", title = "Training loss (MSE)",
                                xlabel = "epoch", ylabel = "loss"}, "loss.svg")
    mlflow.log_artifact(file)
    print("logged run " .. run.info.run_id .. " in experiment battery-lstm")
    run_id = run.info.run_id
end

-- %% [markdown]
-- From a shell in the same folder:
--
-- ```
-- lualab runs list -e battery-lstm
-- lualab runs show lstm-predictor
-- ```
--
-- To load the weights back into a fresh model:
--
-- ```
-- local m = LSTMPredictor(50, 50)
-- m:load_state_dict(nn.load("lstm-predictor.safetensors"))
-- ```
--
-- Next: `04-text-compliance.lua`, Exercise 4, a Keras-style text
-- classifier whose training is tracked from start to end.
