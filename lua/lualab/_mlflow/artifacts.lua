-- lualab._mlflow.artifacts: log_artifact(s), log_text, log_dict, log_figure and
-- list_artifacts; every file is written atomically through lualab._fs.
-- Part of the mlflow module (lualab._mlflow), which calls the function
-- returned here with the module table and its shared helpers.
local raise = require("lualab._args").raise
return function(M, shared)
    local def, store, current, json, fs = shared.def, shared.store, shared.current, shared.json, shared.fs

    ------------------------------------------------------------- artifacts

    local function basename(p) return (p:gsub("/+$", ""):match("([^/]+)$")) end

    local function artifact_dir(artifact_path)
        local id = current()
        local root = store():get_run(id).info.artifact_uri
        if artifact_path and artifact_path ~= "" then
            if artifact_path:find("%.%.") or artifact_path:sub(1, 1) == "/" then
                raise("artifact_path '" .. artifact_path .. "' must be relative and without '..'")
            end
            return root .. "/" .. artifact_path:gsub("/+$", "")
        end
        return root
    end

    local function write_artifact(file, data)
        if type(file) ~= "string" or file == "" then
            raise("artifact file name must be a non-empty string")
        end
        local dir, name = file:match("^(.*)/([^/]+)$")
        local parent = artifact_dir(dir)
        local target = parent .. "/" .. (name or file)
        local ok, err = fs.mkdir_p(parent)
        if ok then ok, err = fs.write_file(target, data) end
        if not ok then raise(err) end
        return target
    end

    def("log_artifact", "log_artifact(path [, artifact_path]) -- Copy a file into the run's artifacts.",
        function(path, artifact_path)
            local ok, err = M._copy(path, artifact_dir(artifact_path) .. "/" .. basename(path))
            if not ok then raise("log_artifact: " .. err) end
        end)

    def("log_artifacts", "log_artifacts(dir [, artifact_path]) -- Copy a directory's files into the artifacts.",
        function(dir, artifact_path)
            local files, err = M._list_files(dir)
            if not files or (#files == 0 and not fs.is_dir(dir)) then
                raise("log_artifacts: " .. (err or (dir .. ": no such directory")))
            end
            local ok, e2 = M._copy(dir, artifact_dir(artifact_path))
            if not ok then raise("log_artifacts: " .. e2) end
        end)

    def("log_text", "log_text(text, artifact_file) -- Save a string as an artifact.",
        function(text, file) write_artifact(file, tostring(text)) end)


    def("log_dict", "log_dict(table, artifact_file) -- Save a table as JSON (.json) or YAML (.yaml/.yml).",
        function(t, file)
            if type(t) ~= "table" then raise("log_dict: expected a table, got " .. type(t)) end
            -- as MLflow: yaml.safe_dump(default_flow_style=False) or
            -- json.dumps(indent=2)
            local ok, text
            if type(file) == "string" and file:match("%.ya?ml$") then
                ok, text = pcall(fs.yaml, t)
            else
                ok, text = pcall(json.encode, t, 2)
            end
            if not ok then raise("log_dict: " .. text) end
            write_artifact(file, text)
        end)

    local function figure_svg(fig)
        local ok, svg
        if type(fig) == "string" then return fig end
        local mt = getmetatable(fig)
        local has_svg = (type(fig) == "table" or type(fig) == "userdata") and
            ((type(fig) == "table" and fig.svg) or (mt and mt.__index and
            (type(mt.__index) == "table" and mt.__index.svg or type(mt.__index) == "function" and fig.svg)))
        if has_svg then
            ok, svg = pcall(fig.svg, fig)
            if ok and type(svg) == "string" then return svg end
        end
        if mt and mt.__display then
            local d = mt.__display(fig, { width = 80, height = 20 })
            if type(d) == "table" and d.svg then return d.svg end
        end
        raise("log_figure: the figure has no :svg() method and no svg in its __display")
    end

    def("log_figure", "log_figure(plot, artifact_file) -- Save a plot as SVG (its :svg() or __display().svg).",
        function(fig, file)
            if type(file) ~= "string" or not file:match("%.svg$") then
                raise("log_figure: artifact file must end in .svg, got " .. tostring(file))
            end
            write_artifact(file, figure_svg(fig))
        end)

    def("log_image", "log_image(svg_or_plot, artifact_file) -- Same as log_figure.",
        function(fig, file) M.log_figure(fig, file) end)

    def("list_artifacts", "list_artifacts([run_id]) -> {path...} -- Files under the run's artifacts.",
        function(id)
            local r = store():get_run(id or current())
            return M._list_files(r.info.artifact_uri) or {}
        end)
    shared.artifact_dir = artifact_dir
    shared.write_artifact = write_artifact
end
