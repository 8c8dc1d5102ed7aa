-- ---
-- title: A ten-minute tour of lualab
-- ---

-- %% [markdown]
-- # A ten-minute tour of lualab
--
-- lualab is a notebook for hands-on machine learning in the terminal:
-- Lua 5.4 with dataframes, charts, neural networks and experiment tracking
-- built in. This tour shows each of them once, on the lab's battery data.
--
-- ## Cells and keys
--
-- A notebook is a list of **cells**: Markdown cells like this one, and
-- code cells that you run. Open this file with `lualab notebooks/00-tour.lua`
-- (or wherever it was installed). You start in **command mode**:
--
-- | key | does |
-- |---|---|
-- | `j` / `k` or the arrows | next / previous cell |
-- | `Shift-Enter` or `Ctrl-E` | run the cell |
-- | `Ctrl-R` | run the cell and go to the next |
-- | `R` | run all cells |
-- | `Enter` or `i` | edit the cell (`Esc` leaves the editor) |
-- | `a` / `b` | new cell above / below |
-- | `d d` / `z` | delete the cell / undo |
-- | `m` / `y` | make it Markdown / code |
-- | `o` | fold the output |
-- | `i i` or `Ctrl-C` | interrupt a running cell |
-- | `s` | save; `q` quit; `?` every key |
--
-- Some terminals cannot send `Shift-Enter`; `Ctrl-E` always works.
--
-- The same file runs without a screen too, as a script or in CI:
-- `lualab --run 00-tour.lua -p epochs 50` (the `-p` values replace those
-- of the cell tagged `parameters`, just below).

-- %% tags=["parameters"]
epochs = 200 -- training steps of the tiny model
lr = 0.1 -- its learning rate
seed = 1

-- %% [markdown]
-- ## Lua in one cell
--
-- Code cells are Lua. `print` writes below the cell, and the value of the
-- cell's last expression is shown too. Variables you define without
-- `local` stay for the next cells.

-- %%
greeting = "hello from lualab"
print(greeting)
{1, 2, 3, name = "a table"}

-- %% [markdown]
-- ## A dataframe
--
-- `datasets.fetch` writes one of the lab's data sets under `./data` (once)
-- and returns its path; `df.read_csv` loads it into a dataframe. This one
-- is a battery's daily use: one row a day for four years.

-- %%
local path = datasets.fetch("daily-battery-time-series")
battery = df.read_csv(path)
print(battery:shape())
print(table.concat(battery:columns(), ", "))
battery:head()

-- %% [markdown]
-- The frame is wider than the screen (`(4 not shown)`). `select` keeps
-- the columns we care about, and `describe` summarises them, as pandas
-- does: count, mean, standard deviation, quartiles.

-- %%
local columns = {"Daily_Trip_Duration", "Daily_Cycles_Used", "Lifetime_Cycles_Used"}
battery:select(columns):describe()

-- %% [markdown]
-- `col(name)` gives one column, with `mean`, `max`, comparisons and more;
-- `filter` keeps the rows where an expression holds.

-- %%
local long = battery:filter("Daily_Trip_Duration > 70")
print(string.format("%d days with more than 70 minutes of trips", long:shape()))
print(string.format("mean cycles per day %.4f", battery:col("Daily_Cycles_Used"):mean()))
long:select{"Date", "Daily_Trip_Duration", "Daily_Cycles_Used"}

-- %% [markdown]
-- ## A chart
--
-- `plot` draws charts right in the terminal (and as SVG in exported
-- notebooks). When does the battery pass its 200 rated cycles?

-- %%
age = battery:col("Battery_Age_Days"):to_table()
lifetime = battery:col("Lifetime_Cycles_Used"):to_table()
local day
for i, v in ipairs(lifetime) do
    if v > 200 then day = i break end
end
print("rated cycles passed on " .. tostring(battery:row(day).Date))
plot.line{x = age, y = lifetime, hline = 200, title = "Lifetime cycles used",
          xlabel = "battery age (days)", ylabel = "cycles"}

-- %% [markdown]
-- ## A tiny model, trained live
--
-- Each day's cycles should depend on how long the car was driven. Let a
-- one-weight network (`nn.Linear(1, 1)`, PyTorch style) find out how:
-- it predicts cycles from the trip minutes (standardised: minus the mean,
-- divided by the standard deviation). Watch the progress line while it
-- trains: it draws the loss curve as it goes.

-- %%
nn.manual_seed(seed)
local minutes = battery:col("Daily_Trip_Duration")
mu, sd = minutes:mean(), minutes:std()
local xs = {}
for i, v in ipairs(minutes:to_table()) do xs[i] = {(v - mu) / sd} end
local ys = {}
for i, v in ipairs(battery:col("Daily_Cycles_Used"):to_table()) do ys[i] = {v} end
x, y = nn.tensor(xs), nn.tensor(ys)
print("x: " .. table.concat(x:shape(), " x ") .. ", y: " .. table.concat(y:shape(), " x "))

-- %% [markdown]
-- The training loop. Four lines do the work: clear the gradients, compute
-- the loss of the model's predictions, compute the gradients
-- (`backward`), move the weight (`step`). The rest reports progress.

-- %%
model = nn.Linear(1, 1)
local opt = nn.optim.Adam(model:parameters(), {lr = lr})
local mse = nn.MSELoss()
losses = {}
for step = 1, epochs do
    opt:zero_grad()
    local loss = mse(model(x), y)
    loss:backward()
    opt:step()
    losses[step] = loss:item()
    local curve = {}
    for k = math.max(1, step - 39), step do
        curve[#curve + 1] = math.log(losses[k], 10)
    end
    lualab.progress{label = "training", done = step, total = epochs,
                    metrics = string.format("loss %.3g %s", losses[step],
                        (plot.sparkline{y = curve}:text():gsub("%s+$", ""))),
                    finished = step == epochs}
end
print(string.format("final loss %.3g", losses[#losses]))
plot.line{y = losses, log = "y", title = "Training loss", xlabel = "step", ylabel = "MSE"}

-- %% [markdown]
-- The weight, turned back into cycles per minute, is what the data
-- generator used (the lab's file uses 0.00246 cycles per minute of trips):

-- %%
slope = model.weight:item() / sd
print(string.format("cycles per minute of trips: %.6f", slope))

-- %% [markdown]
-- ## A tracked run
--
-- `mlflow` (lualab's version of MLflow's API) records runs in
-- `mlruns.db` here: parameters, metrics, charts, models. A run opened with
-- `<close>` ends when the block ends, even after an error.

-- %%
mlflow.set_experiment("tour")
do
    local run <close> = mlflow.start_run{run_name = "tiny-linear"}
    mlflow.log_params{epochs = epochs, lr = lr}
    for step, v in ipairs(losses) do mlflow.log_metric("loss", v, step) end
    mlflow.log_metric("cycles_per_minute", slope)
    local chart = plot.line{y = losses, log = "y", title = "Training loss"}
    mlflow.log_figure(chart, "loss.svg")
    run_id = run.info.run_id
end
mlflow.show_run(run_id)

-- %% [markdown]
-- In a shell, in the same folder, `lualab runs` lists the experiments,
-- `lualab runs list -e tour` the runs, and `lualab runs show tiny-linear`
-- shows this one.
--
-- ## Where to go next
--
-- - `02-rnn-forecast.lua`: Exercise 2, an LSTM forecaster for the battery
--   series, written PyTorch style.
-- - `04-text-compliance.lua`: Exercise 4, a Keras-style text classifier
--   whose training is tracked and whose model is registered.
-- - `help(df.read_csv)` (or any function) shows its documentation; the
--   `docs/` folder has a page per module: dataframes, `nn`, `keras`,
--   charts, tracking, data sets.
