-- keras: a Keras-style front end over the nn engine (docs/keras.md).
--   keras.Sequential, keras.Input, keras.layers.*, keras.optimizers.*,
--   keras.callbacks.*, keras.models.load_model, keras.preprocessing.*,
--   keras.utils.*
-- Models and layers load lazily, so the text tools work without nn.
local raise = require("lualab._args").raise
local text = require("lualab.keras.text")

local keras = {}

keras.preprocessing = {
    text = {
        Tokenizer = text.Tokenizer,
        text_to_word_sequence = text.text_to_word_sequence,
    },
    sequence = {pad_sequences = text.pad_sequences},
}

local function set_random_seed(seed)
    if math.type(seed) ~= "integer" then
        raise("set_random_seed: an integer expected, got " .. tostring(seed))
    end
    math.randomseed(seed)
    local B = require("lualab.keras.backend")
    B.nn().manual_seed(seed)
end
if lualab and lualab.doc then
    lualab.doc(set_random_seed, "keras.utils.set_random_seed(seed) -- Seed " ..
               "initializers, dropout and shuffling (nn's generator).")
end

keras.utils = {to_categorical = text.to_categorical,
               set_random_seed = set_random_seed}

local lazy = {
    layers = function() return require("lualab.keras.layers") end,
    callbacks = function() return require("lualab.keras.callbacks") end,
    optimizers = function() return require("lualab.keras.models").optimizers end,
    losses = function() return require("lualab.keras.models").losses end,
    models = function()
        local m = require("lualab.keras.models")
        return {Sequential = m.Sequential, load_model = m.load_model}
    end,
    Sequential = function() return require("lualab.keras.models").Sequential end,
    Input = function() return require("lualab.keras.layers").Input end,
}

return setmetatable(keras, {
    __index = function(t, k)
        local f = lazy[k]
        if not f then return nil end
        local v = f()
        rawset(t, k, v)
        return v
    end,
})
