-- keras.preprocessing.text and .sequence, keras.utils.to_categorical: the
-- text tools with Keras' exact semantics (keras-preprocessing 1.1).
--
-- Differences that Lua imposes, and nothing else:
--  * lower-casing is ASCII only (string.lower); other bytes are kept;
--  * word_index / word_counts are plain tables (no order); the order Keras
--    keeps is in tokenizer.index_word (index -> word) and
--    tokenizer.word_order (first-seen order of word_counts).
local raise = require("lualab._args").raise
local M = {}

local function doc(f, s)
    if lualab and lualab.doc then lualab.doc(f, s) end
    return f
end

M.DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

-- Replace every byte of `filters` in s by `split`, as str.translate does.
local function translate(s, filters, split)
    if filters == nil or filters == "" then return s end
    local class = "[" .. filters:gsub("[%]%[%^%%%-]", "%%%0") .. "]"
    return (s:gsub(class, (split:gsub("%%", "%%%%"))))
end

-- Python's str.split(sep) for a non-empty sep, dropping empty items.
local function split_plain(s, sep, out)
    out = out or {}
    local start = 1
    while true do
        local i, j = s:find(sep, start, true)
        local piece = s:sub(start, (i or 0) - 1)
        if i == nil then piece = s:sub(start) end
        if piece ~= "" then out[#out + 1] = piece end
        if not i then break end
        start = j + 1
    end
    return out
end

local function check_split(split)
    if type(split) ~= "string" or split == "" then
        raise("split: a non-empty string expected, got " ..
              (split == "" and "''" or type(split)))
    end
end

M.text_to_word_sequence = doc(function(text, opts)
    opts = opts or {}
    if type(text) ~= "string" then
        raise("text_to_word_sequence: text must be a string, got " .. type(text))
    end
    local filters = opts.filters
    if filters == nil then filters = M.DEFAULT_FILTERS end
    local split = opts.split or " "
    check_split(split)
    if opts.lower ~= false then text = text:lower() end
    return split_plain(translate(text, filters, split), split)
end, "text_to_word_sequence(text [, {filters=, lower=true, split=' '}]) -> " ..
     "{word} -- Split a text into words the way Keras does.")

local Tokenizer = {}
Tokenizer.__index = Tokenizer
Tokenizer.__name = "keras.Tokenizer"

function Tokenizer.__tostring(t)
    return string.format("Tokenizer(num_words=%s, words=%d, documents=%d)",
                         tostring(t.num_words), #t.word_order, t.document_count)
end

M.Tokenizer = doc(function(opts)
    opts = opts or {}
    if type(opts) ~= "table" then
        raise("Tokenizer: options table expected, got " .. type(opts))
    end
    local num_words = opts.num_words
    if num_words ~= nil and (math.type(num_words) ~= "integer" or num_words < 0) then
        raise("Tokenizer: num_words must be a non-negative integer, got " ..
              tostring(num_words))
    end
    local split = opts.split or " "
    if type(split) ~= "string" or split == "" then
        raise("Tokenizer: split must be a non-empty string")
    end
    local t = setmetatable({
        num_words = num_words,
        filters = opts.filters == nil and M.DEFAULT_FILTERS or opts.filters,
        lower = opts.lower ~= false,
        split = split,
        char_level = opts.char_level == true,
        oov_token = opts.oov_token,
        document_count = 0,
        word_counts = {}, word_docs = {}, word_order = {},
        word_index = {}, index_word = {}, index_docs = {},
    }, Tokenizer)
    return t
end, "keras.preprocessing.text.Tokenizer{num_words=, filters=, lower=true, " ..
     "split=' ', char_level=false, oov_token=} -> Tokenizer -- Keras' tokenizer.")

function Tokenizer:_words(text, where)
    if type(text) == "table" then
        local seq = {}
        for i, w in ipairs(text) do
            if type(w) ~= "string" then
                raise(string.format("%s: word %d of a token list must be a string, got %s",
                                    where, i, type(w)))
            end
            seq[i] = self.lower and w:lower() or w
        end
        return seq
    elseif type(text) ~= "string" then
        raise(where .. ": texts must be strings or lists of strings, got " ..
              type(text))
    end
    if self.char_level then
        local s = self.lower and text:lower() or text
        local seq = {}
        for c in s:gmatch(".") do seq[#seq + 1] = c end
        return seq
    end
    return M.text_to_word_sequence(text, {filters = self.filters,
                                          lower = self.lower, split = self.split})
end

local function check_list(x, what, where)
    if type(x) ~= "table" then
        raise(string.format("%s: %s must be a list, got %s", where, what, type(x)))
    end
end

Tokenizer.fit_on_texts = doc(function(self, texts)
    check_list(texts, "texts", "fit_on_texts")
    for _, text in ipairs(texts) do
        self.document_count = self.document_count + 1
        local seq = self:_words(text, "fit_on_texts")
        local seen = {}
        for _, w in ipairs(seq) do
            local c = self.word_counts[w]
            if c == nil then
                self.word_order[#self.word_order + 1] = w
                c = 0
            end
            self.word_counts[w] = c + 1
            if not seen[w] then
                seen[w] = true
                self.word_docs[w] = (self.word_docs[w] or 0) + 1
            end
        end
    end
    -- Sort by count, most frequent first; Python's sort is stable, so
    -- ties keep the order in which the words were first seen.
    local rank = {}
    for i, w in ipairs(self.word_order) do rank[w] = i end
    local sorted = {}
    for i, w in ipairs(self.word_order) do sorted[i] = w end
    local counts = self.word_counts
    table.sort(sorted, function(a, b)
        if counts[a] ~= counts[b] then return counts[a] > counts[b] end
        return rank[a] < rank[b]
    end)
    local voc = {}
    if self.oov_token ~= nil then voc[1] = self.oov_token end
    for _, w in ipairs(sorted) do voc[#voc + 1] = w end
    self.word_index, self.index_word, self.index_docs = {}, {}, {}
    for i, w in ipairs(voc) do self.word_index[w] = i end -- later wins
    for w, i in pairs(self.word_index) do self.index_word[i] = w end
    for w, c in pairs(self.word_docs) do
        self.index_docs[self.word_index[w]] = c
    end
end, "Tokenizer:fit_on_texts(texts) -- Count the words of a list of texts " ..
     "(or of token lists) and rebuild word_index.")

local function oov_index(self)
    if self.oov_token == nil then return nil end
    return self.word_index[self.oov_token]
end

Tokenizer.texts_to_sequences = doc(function(self, texts)
    check_list(texts, "texts", "texts_to_sequences")
    local nw, oov = self.num_words, oov_index(self)
    if nw == 0 then nw = nil end
    local out = {}
    for k, text in ipairs(texts) do
        local vect = {}
        for _, w in ipairs(self:_words(text, "texts_to_sequences")) do
            local i = self.word_index[w]
            if i ~= nil then
                if nw and i >= nw then
                    if oov ~= nil then vect[#vect + 1] = oov end
                else
                    vect[#vect + 1] = i
                end
            elseif self.oov_token ~= nil then
                vect[#vect + 1] = oov
            end
        end
        out[k] = vect
    end
    return out
end, "Tokenizer:texts_to_sequences(texts) -> {{int}} -- Words to indices; " ..
     "indices >= num_words are dropped (or become the oov index).")

Tokenizer.sequences_to_texts = doc(function(self, seqs)
    check_list(seqs, "sequences", "sequences_to_texts")
    local nw, oov = self.num_words, oov_index(self)
    if nw == 0 then nw = nil end
    local out = {}
    for k, seq in ipairs(seqs) do
        check_list(seq, "each sequence", "sequences_to_texts")
        local vect = {}
        for _, num in ipairs(seq) do
            local word = self.index_word[num]
            if word ~= nil then
                if nw and num >= nw then
                    if oov ~= nil then vect[#vect + 1] = self.index_word[oov] end
                else
                    vect[#vect + 1] = word
                end
            elseif self.oov_token ~= nil then
                vect[#vect + 1] = self.index_word[oov]
            end
        end
        out[k] = table.concat(vect, " ")
    end
    return out
end, "Tokenizer:sequences_to_texts(seqs) -> {string} -- Indices back to " ..
     "space-joined words.")

local matrix_modes = {binary = true, count = true, freq = true, tfidf = true}

-- Rows of num_words columns (nested tables) for sequences, Keras' modes.
function Tokenizer:_sequences_to_rows(seqs, mode)
    mode = mode or "binary"
    if not matrix_modes[mode] then
        raise("sequences_to_matrix: Unknown vectorization mode: " .. tostring(mode))
    end
    local nw = self.num_words
    if nw == nil or nw == 0 then
        local n = 0
        for _ in pairs(self.word_index) do n = n + 1 end
        if n == 0 then
            raise("sequences_to_matrix: Specify a dimension (`num_words` " ..
                  "argument), or fit on some text data first.")
        end
        nw = n + 1
    end
    if mode == "tfidf" and self.document_count == 0 then
        raise("sequences_to_matrix: Fit the Tokenizer on some data before " ..
              "using tfidf mode.")
    end
    local rows = {}
    for i, seq in ipairs(seqs) do
        local row = {}
        for j = 1, nw do row[j] = 0.0 end
        local counts, order = {}, {}
        for _, j in ipairs(seq) do
            if j < nw then
                if counts[j] == nil then order[#order + 1] = j end
                counts[j] = (counts[j] or 0) + 1
            end
        end
        for _, j in ipairs(order) do
            local c = counts[j]
            local v
            if mode == "count" then v = c
            elseif mode == "freq" then v = c / #seq
            elseif mode == "binary" then v = 1
            else
                local tf = 1 + math.log(c)
                local idf = math.log(1 + self.document_count /
                                     (1 + (self.index_docs[j] or 0)))
                v = tf * idf
            end
            row[j + 1] = v + 0.0
        end
        rows[i] = row
    end
    return rows, nw
end

-- The list form of a sequence: a Lua table, or a tensor's :tolist().
local function as_list(s)
    if type(s) == "table" then return s end
    if type(s) == "userdata" and s.tolist then return s:tolist() end
    return nil
end

-- nn when the build has it (a tensor result), else nil (nested tables).
local function nn_module()
    for _, name in ipairs({"lualab.nn", "lualab._nn"}) do
        local ok, nn = pcall(require, name)
        if ok and type(nn) == "table" and nn.tensor then return nn end
    end
    return nil
end
M._nn_module = nn_module

local function finish_matrix(rows, ncols, as)
    if as == "table" then return rows end
    local nn = nn_module()
    if nn == nil or as == "list" then return rows end
    if #rows == 0 or ncols == 0 then return nn.zeros({#rows, ncols}) end
    return nn.tensor(rows)
end

Tokenizer.sequences_to_matrix = doc(function(self, seqs, mode)
    check_list(seqs, "sequences", "sequences_to_matrix")
    local rows, nw = self:_sequences_to_rows(seqs, mode)
    return finish_matrix(rows, nw)
end, "Tokenizer:sequences_to_matrix(seqs [, mode='binary']) -> Tensor " ..
     "(n x num_words) -- binary | count | freq | tfidf rows, as Keras.")

Tokenizer.texts_to_matrix = doc(function(self, texts, mode)
    check_list(texts, "texts", "texts_to_matrix")
    local rows, nw = self:_sequences_to_rows(self:texts_to_sequences(texts), mode)
    return finish_matrix(rows, nw)
end, "Tokenizer:texts_to_matrix(texts [, mode='binary']) -> Tensor " ..
     "(n x num_words) -- texts_to_sequences then sequences_to_matrix.")

M.pad_sequences = doc(function(sequences, opts)
    opts = opts or {}
    local padding = opts.padding or "pre"
    local truncating = opts.truncating or "pre"
    local value = opts.value or 0
    local dtype = opts.dtype or "int32"
    local maxlen = opts.maxlen
    if type(sequences) == "userdata" and sequences.tolist then
        sequences = sequences:tolist()
    end
    if type(sequences) ~= "table" then
        raise("pad_sequences: sequences must be a list of lists, got " ..
              type(sequences))
    end
    if padding ~= "pre" and padding ~= "post" then
        raise('pad_sequences: Padding type "' .. tostring(padding) ..
              '" not understood')
    end
    if truncating ~= "pre" and truncating ~= "post" then
        raise('pad_sequences: Truncating type "' .. tostring(truncating) ..
              '" not understood')
    end
    local int = dtype:match("^u?int") ~= nil
    if not int and not dtype:match("^float") then
        raise('pad_sequences: dtype "' .. tostring(dtype) ..
              '" not understood (int32, int64, float32, float64)')
    end
    if type(value) ~= "number" then
        raise("pad_sequences: value must be a number, got " .. type(value))
    end
    local function cast(v)
        if int then
            local t = v >= 0 and math.floor(v) or math.ceil(v)
            return math.tointeger(t) or t
        end
        return v + 0.0
    end
    local lists = {}
    local longest = 0
    for i, s in ipairs(sequences) do
        local l = as_list(s)
        if l == nil then
            raise("pad_sequences: sequences must be a list of iterables. " ..
                  "Found non-iterable: " .. tostring(s) .. " at position " .. i)
        end
        lists[i] = l
        if #l > longest then longest = #l end
    end
    if maxlen == nil then maxlen = longest end
    if math.type(maxlen) ~= "integer" or maxlen < 0 then
        raise("pad_sequences: maxlen must be a non-negative integer, got " ..
              tostring(maxlen))
    end
    local fill = cast(value)
    local rows = {}
    for i, l in ipairs(lists) do
        local row = {}
        for j = 1, maxlen do row[j] = fill end
        local n = #l
        local first, last -- the kept slice of l
        if n > maxlen then
            if truncating == "pre" then first, last = n - maxlen + 1, n
            else first, last = 1, maxlen end
        else
            first, last = 1, n
        end
        local kept = last - first + 1
        local offset = padding == "post" and 0 or maxlen - kept
        if kept > 0 then
            for k = 0, kept - 1 do
                local v = l[first + k]
                if type(v) ~= "number" then
                    raise(string.format("pad_sequences: sequence %d, item %d: " ..
                          "number expected, got %s", i, first + k, type(v)))
                end
                row[offset + k + 1] = cast(v)
            end
        end
        rows[i] = row
    end
    return finish_matrix(rows, maxlen, opts.as)
end, "keras.preprocessing.sequence.pad_sequences(seqs [, {maxlen=, " ..
     "padding='pre', truncating='pre', value=0, dtype='int32', as=}]) -> " ..
     "Tensor (n x maxlen; nested tables with as='table' or without nn) -- " ..
     "Pad or cut sequences to one length as Keras does.")

M.to_categorical = doc(function(y, num_classes, dtype)
    local labels = y
    if type(y) == "userdata" and y.tolist then labels = y:tolist() end
    if type(labels) ~= "table" then
        raise("to_categorical: y must be a list of class indices, got " ..
              type(y))
    end
    -- A trailing dimension of 1 ({{1},{0}}) is dropped, as in Keras.
    local flat = {}
    for i, v in ipairs(labels) do
        if type(v) == "table" and #v == 1 then v = v[1] end
        if type(v) ~= "number" or v ~= math.floor(v) or v < 0 then
            raise(string.format("to_categorical: label %d must be a " ..
                  "non-negative integer, got %s", i, tostring(v)))
        end
        flat[i] = math.tointeger(v)
    end
    if num_classes == nil then
        num_classes = 0
        for _, v in ipairs(flat) do
            if v + 1 > num_classes then num_classes = v + 1 end
        end
    end
    if math.type(num_classes) ~= "integer" or num_classes < 1 then
        raise("to_categorical: num_classes must be a positive integer, got " ..
              tostring(num_classes))
    end
    local rows = {}
    for i, v in ipairs(flat) do
        if v >= num_classes then
            raise(string.format("to_categorical: label %d is %d, out of range " ..
                  "for %d classes", i, v, num_classes))
        end
        local row = {}
        for k = 1, num_classes do row[k] = 0.0 end
        row[v + 1] = 1.0
        rows[i] = row
    end
    local as = (dtype == "table") and "table" or nil
    return finish_matrix(rows, num_classes, as)
end, "keras.utils.to_categorical(y [, num_classes]) -> Tensor -- One-hot " ..
     "rows for integer class labels 0..num_classes-1.")

return M
