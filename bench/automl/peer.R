# The peer of bench/automl: R forecast's ets(), auto.arima() and thetaf()
# on real series from R's datasets package, each held out by its last
# season (12 months, 8 quarters, 6 years), and their plain mean — the
# strongest simple statistical combination.  Writes the training series
# (series.csv), the hold-outs (holdout.csv) and R's forecasts (r_fc.csv),
# and prints R's CPU seconds for the three fits.
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(TRUE)
out <- if (length(args)) args[1] else "."

segments <- function(x, len) {
  n <- length(x); k <- n %/% len
  lapply(seq_len(k), function(i) ts(as.numeric(x)[(n - i * len + 1):(n - (i - 1) * len)],
                                    frequency = frequency(x)))
}
S <- list()
seen <- character()
add <- function(name, x) {
  key <- paste(frequency(x), paste(signif(as.numeric(x), 8), collapse = ","))
  if (key %in% seen) return(invisible())           # the same data under another name
  seen <<- c(seen, key); S[[name]] <<- x
}
for (nm in c("AirPassengers", "UKDriverDeaths", "ldeaths", "mdeaths", "fdeaths",
             "USAccDeaths", "nottem")) add(nm, get(nm))
for (j in 1:7) add(paste0("Seatbelts", j), Seatbelts[, j])
sg <- segments(co2, 120); for (i in seq_along(sg)) add(paste0("co2_", i), sg[[i]])
sg <- segments(sunspot.month, 240); for (i in seq_along(sg)) add(paste0("sunspot.month_", i), sg[[i]])
for (nm in c("JohnsonJohnson", "austres", "UKgas", "freeny.y")) add(nm, get(nm))
for (nm in c("BJsales", "BJsales.lead", "WWWusage", "LakeHuron", "Nile", "discoveries",
             "lh", "lynx", "nhtemp", "sunspot.year")) add(nm, get(nm))
sg <- segments(treering, 120); for (i in seq_along(sg)) add(paste0("treering_", i), sg[[i]])

# Every other monthly, quarterly or annual `ts` shipped by Debian's R packages
# forecast, tseries, AER, quantreg and MASS (each column of a multiple series,
# at most 8 per data set), without missing values, long enough for the
# hold-out and two CV folds (monthly 72, quarterly 40, annual 30 values), cut
# to its last 240 / 120 / 120 values.
minlen <- c(`1` = 30, `4` = 40, `12` = 72); maxlen <- c(`1` = 120, `4` = 120, `12` = 240)
usable <- function(x) {
  m <- frequency(x); k <- as.character(m)
  if (!(m %in% c(1, 4, 12)) || anyNA(x) || length(x) < minlen[[k]]) return(NULL)
  v <- as.numeric(x); n <- length(v); v <- v[max(1, n - maxlen[[k]] + 1):n]
  h <- if (m == 12) 12 else if (m == 4) 8 else 6
  tr <- v[1:(length(v) - h)]
  if (length(unique(tr)) < 3 || all(diff(tr, lag = m) == 0)) return(NULL)
  ts(v, frequency = m)
}
for (pkg in c("forecast", "tseries", "AER", "quantreg", "MASS")) {
  items <- data(package = pkg)$results[, "Item"]
  for (it in sub(" .*", "", items)) {
    e <- new.env()
    ok <- tryCatch({ suppressWarnings(data(list = it, package = pkg, envir = e)); TRUE },
                   error = function(err) FALSE)
    if (!ok) next
    for (nm in ls(e)) {
      x <- get(nm, envir = e)
      if (!is.ts(x)) next
      if (is.matrix(x)) {
        cols <- seq_len(min(ncol(x), 8))
        for (j in cols) { u <- usable(x[, j]); if (!is.null(u)) add(paste0(pkg, ".", nm, ".", j), u) }
      } else { u <- usable(x); if (!is.null(u)) add(paste0(pkg, ".", nm), u) }
    }
  }
}

rows <- list(); hold <- list(); fc <- list()
cpu <- 0
for (nm in names(S)) {
  x <- S[[nm]]; m <- frequency(x)
  h <- if (m == 12) 12 else if (m == 4) 8 else 6
  n <- length(x)
  tr <- ts(as.numeric(x)[1:(n - h)], frequency = m)
  te <- as.numeric(x)[(n - h + 1):n]
  t0 <- proc.time()[["user.self"]] + proc.time()[["sys.self"]]
  f1 <- forecast(ets(tr), h = h)$mean
  f2 <- forecast(auto.arima(tr), h = h)$mean
  f3 <- thetaf(tr, h = h)$mean
  cpu <- cpu + proc.time()[["user.self"]] + proc.time()[["sys.self"]] - t0
  rows[[nm]] <- data.frame(series = nm, m = m, h = h, t = seq_along(tr), y = as.numeric(tr))
  hold[[nm]] <- data.frame(series = nm, step = 1:h, y = te)
  fc[[nm]] <- data.frame(series = nm, step = 1:h, ets = as.numeric(f1), arima = as.numeric(f2),
                         theta = as.numeric(f3), comb = (as.numeric(f1) + as.numeric(f2) + as.numeric(f3)) / 3)
}
write.csv(do.call(rbind, rows), file.path(out, "series.csv"), row.names = FALSE)
write.csv(do.call(rbind, hold), file.path(out, "holdout.csv"), row.names = FALSE)
write.csv(do.call(rbind, fc), file.path(out, "r_fc.csv"), row.names = FALSE)
cat(sprintf("R series %d cpu %.3f\n", length(S), cpu))
