# Forecasting benchmark, R side: collect the ts series shipped by R's
# packages (and the battery series passed in), hold out each one's last
# season, fit R's forecast models and record point forecasts and CPU.
# Usage: Rscript r_bench.R OUTDIR [battery.csv]
suppressMessages({
  library(forecast)
})
args <- commandArgs(trailingOnly = TRUE)
outdir <- args[1]
battery <- if (length(args) > 1) args[2] else NULL
pkgs <- c("datasets", "forecast", "AER", "tseries", "quantreg", "MASS",
          "urca", "carData", "lmtest", "sandwich", "zoo")
series <- list()
add <- function(name, y) {
  if (!is.numeric(y) || length(y) < 2) return()
  y <- tryCatch(na.contiguous(y), error = function(e) NULL)
  if (is.null(y)) return()
  m <- frequency(y)
  if (m != round(m) || m > 24) return()
  if (length(y) > 300) y <- ts(tail(as.numeric(y), 300), frequency = m)
  h <- if (m > 1) m else 6
  n <- length(y) - h
  if (n < max(3 * m, 16)) return()
  if (is.constant(y)) return()
  key <- paste(round(as.numeric(y), 6), collapse = ",")
  if (key %in% names(series)) return()
  series[[key]] <<- list(name = name, y = as.numeric(y), m = m, h = h)
}
for (p in pkgs) {
  if (!requireNamespace(p, quietly = TRUE)) next
  items <- data(package = p)$results[, "Item"]
  for (it in items) {
    it <- sub(" .*", "", it)
    env <- new.env()
    ok <- tryCatch({ data(list = it, package = p, envir = env); TRUE },
                   error = function(e) FALSE, warning = function(w) FALSE)
    if (!ok || !exists(it, envir = env)) next
    obj <- get(it, envir = env)
    if (!is.ts(obj)) next
    if (is.matrix(obj)) {
      for (j in seq_len(ncol(obj)))
        add(paste0(p, "::", it, "[", colnames(obj)[j], "]"), obj[, j])
    } else {
      add(paste0(p, "::", it), obj)
    }
  }
}
if (!is.null(battery) && file.exists(battery)) {
  b <- read.csv(battery)
  for (id in unique(b$Battery_ID)) {
    v <- b$Daily_Cycles_Used[b$Battery_ID == id]
    add(paste0("battery::", id), ts(v, frequency = 7))
  }
}
series <- unname(series)
con <- file(file.path(outdir, "series.txt"), "w")
for (s in series)
  cat(s$name, s$m, s$h, paste(formatC(s$y, digits = 15, format = "g"),
                              collapse = " "), "\n", file = con)
close(con)

models <- list(
  AutoETS = function(y, h) forecast(ets(y), h = h, PI = FALSE)$mean,
  AutoARIMA = function(y, h) forecast(auto.arima(y), h = h)$mean,
  Theta = function(y, h) thetaf(y, h = h)$mean,
  Naive = function(y, h) naive(y, h = h)$mean,
  SeasonalNaive = function(y, h) snaive(y, h = h)$mean,
  HistoricAverage = function(y, h) meanf(y, h = h)$mean,
  RandomWalkWithDrift = function(y, h) rwf(y, h = h, drift = TRUE)$mean)
only <- Sys.getenv("FC_R_MODELS")
if (nzchar(only)) models <- models[strsplit(only, ",")[[1]]]
# Series are split over two worker processes; system.time measures each
# fit's own CPU time in its worker.
run_one <- function(s) {
  y <- ts(head(s$y, length(s$y) - s$h), frequency = s$m)
  out <- character(0)
  for (mn in names(models)) {
    fc <- NULL
    method <- "-"
    t <- system.time(fc <- tryCatch(models[[mn]](y, s$h),
                                    error = function(e) NULL))
    if (is.null(fc)) next
    if (mn == "AutoETS") method <- gsub(" ", "", ets(y)$method)
    out <- c(out, paste(s$name, mn, t[["user.self"]] + t[["sys.self"]],
                        method, paste(formatC(as.numeric(fc), digits = 15,
                                              format = "g"), collapse = " ")))
  }
  out
}
lines <- parallel::mclapply(series, run_one, mc.cores = 2)
writeLines(unlist(lines), file.path(outdir, "r_results.txt"))
