-- lualab._mlflow.search: search_runs (a Frame or Lua rows) and the show_run / compare
-- views.
-- Part of the mlflow module (lualab._mlflow), which calls the function
-- returned here with the module table and its shared helpers.
local raise = require("lualab._args").raise
return function(M, shared)
    local def, store, default_experiment = shared.def, shared.store, shared.default_experiment

    ---------------------------------------------------------------- search

    local function text_table(columns, rows, width)
        width = width or 100
        local w = {}
        local cells = {}
        for c, name in ipairs(columns) do w[c] = math.min(#name, 24) end
        for r, row in ipairs(rows) do
            cells[r] = {}
            for c, name in ipairs(columns) do
                local v = row[name]
                local s
                if v == nil then s = ""
                elseif math.type(v) == "float" then s = string.format("%.6g", v)
                else s = tostring(v) end
                if name == "run_id" then s = s:sub(1, 8) end
                if #s > 24 then s = s:sub(1, 23) .. "~" end
                cells[r][c] = s
                if #s > w[c] then w[c] = #s end
            end
        end
        local shown, used = {}, 0
        for c = 1, #columns do
            if used + w[c] + 2 > width and #shown > 0 then break end
            shown[#shown + 1] = c
            used = used + w[c] + 2
        end
        local function line(vals)
            local parts = {}
            for i, c in ipairs(shown) do
                local s = vals[c]
                if #s > w[c] then s = s:sub(1, w[c]) end
                parts[i] = s .. string.rep(" ", w[c] - #s)
            end
            return (table.concat(parts, "  "):gsub("%s+$", ""))
        end
        local head = {}
        for c, name in ipairs(columns) do head[c] = name end
        local out = { line(head) }
        local rule = {}
        for c = 1, #columns do rule[c] = string.rep("-", w[c]) end
        out[2] = line(rule)
        for r = 1, #rows do out[#out + 1] = line(cells[r]) end
        if #shown < #columns then
            out[#out + 1] = string.format("(%d of %d columns shown)", #shown, #columns)
        end
        out[#out + 1] = string.format("[%d runs x %d columns]", #rows, #columns)
        return table.concat(out, "\n")
    end
    M._text_table = text_table

    local Rows = {}
    local RowsMT = { __index = Rows, __name = "lualab.Runs" }
    function Rows:column(name)
        local out = {}
        for i, row in ipairs(self) do out[i] = row[name] end
        return out
    end
    RowsMT.__display = function(self, opts)
        return { text = text_table(self.columns, self, opts and opts.width), kind = "frame" }
    end
    RowsMT.__tostring = function(self) return text_table(self.columns, self, 100) end

    def("search_runs",
        "search_runs{experiment_names=, experiment_ids=, filter=, order_by=, max_results=, as_table=} -> Frame -- Runs as a dataframe (columns run_id, ..., status, start_time, metrics.*, params.*, tags.*); as_table=true gives Lua rows.",
        function(opts)
            opts = opts or {}
            local s = store()
            local ids = {}
            for _, name in ipairs(opts.experiment_names or {}) do
                local e = s:get_experiment(name)
                if not e then raise("search_runs: experiment '" .. tostring(name) .. "' not found") end
                ids[#ids + 1] = e.experiment_id
            end
            for _, id in ipairs(opts.experiment_ids or {}) do ids[#ids + 1] = math.tointeger(tonumber(id)) end
            if #ids == 0 and not opts.search_all_experiments then ids[1] = default_experiment() end
            local order = opts.order_by
            if type(order) == "string" then order = { order } end
            local runs = s:search(ids, opts.filter_string or opts.filter, order or {}, opts.max_results or 100000)
            local fixed = { "run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "artifact_uri" }
            local seen, extra = {}, {}
            local rows = setmetatable({}, RowsMT)
            for i, r in ipairs(runs) do
                local row = {}
                for _, c in ipairs(fixed) do row[c] = r.info[c] end
                for kind, tbl in pairs({ metrics = r.data.metrics, params = r.data.params, tags = r.data.tags }) do
                    for k, v in pairs(tbl) do
                        local col = kind .. "." .. k
                        row[col] = v
                        if not seen[col] then seen[col] = true; extra[#extra + 1] = col end
                    end
                end
                rows[i] = row
            end
            local rank = { metrics = 1, params = 2, tags = 3 }
            table.sort(extra, function(a, b)
                local ka, kb = rank[a:match("^(%a+)")], rank[b:match("^(%a+)")]
                if ka ~= kb then return ka < kb end
                return a < b
            end)
            local cols = {}
            for _, c in ipairs(fixed) do cols[#cols + 1] = c end
            for _, c in ipairs(extra) do cols[#cols + 1] = c end
            rows.columns = cols
            -- a dataframe Frame when the frame module is there (as_table=true
            -- or no frame module: the rows as Lua tables)
            local ok, df = pcall(require, "lualab.df")
            if opts.as_table or not ok or type(df) ~= "table" or type(df.frame) ~= "function" then
                return rows
            end
            local spec = {}
            for _, c in ipairs(cols) do
                local typ = c:match("^metrics%.") and "float"
                    or ((c == "start_time" or c == "end_time" or c == "experiment_id") and "int")
                    or "string"
                local vals = {}
                for i, row in ipairs(rows) do
                    local v = row[c]
                    if v == nil then v = df.NA end
                    vals[i] = v
                end
                spec[#spec + 1] = { c, df.column(vals, typ, c) }
            end
            return df.frame(spec)
        end)

    ------------------------------------------------------------- viewers

    local function view(text)
        return setmetatable({ __display_text = function() return text end },
            { __display = function() return { text = text, kind = "text" } end,
              __tostring = function() return text end })
    end

    def("show_run", "show_run(run_id) -> view -- Params, latest metrics, tags, artifacts and metric charts of a run.",
        function(id) return view(store():render_run(tostring(id), 100)) end)

    def("compare", "compare{run_id, run_id...} -> view -- Runs side by side with overlaid metric charts.",
        function(ids)
            if type(ids) ~= "table" or #ids < 1 then raise("compare: expected a list of run ids") end
            local list = {}
            for i, id in ipairs(ids) do
                list[i] = type(id) == "table" and id.info and id.info.run_id or tostring(id)
            end
            return view(store():render_compare(list, 100))
        end)
end
