-- keras: a Keras-style front end.  Text tools live in lualab.keras.text;
-- models and layers (over the nn engine) in lualab.keras.models when the
-- build has nn.  See docs/keras.md.
local text = require("lualab.keras.text")

local keras = {}

keras.preprocessing = {
    text = {
        Tokenizer = text.Tokenizer,
        text_to_word_sequence = text.text_to_word_sequence,
    },
    sequence = {pad_sequences = text.pad_sequences},
}
keras.utils = {to_categorical = text.to_categorical}

return keras
