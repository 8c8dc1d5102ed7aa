# data.table side of bench/frame: one thread, median of R repeats of the
# process CPU time (user + system; the machine is shared).
# Usage: Rscript bench.R data.csv repeats
args <- commandArgs(TRUE)
path <- args[1]; R <- as.integer(args[2])
suppressMessages(library(data.table))
setDTthreads(1)
med <- function(f) { t <- numeric(R); for (i in 1:R) t[i] <- { st <- system.time(x <<- f()); st[["user.self"]] + st[["sys.self"]] }; median(t) }
x <- NULL
t <- med(function() fread(path, showProgress = FALSE)); DT <- x
cat(sprintf("read_csv %.4f %d\n", t, nrow(DT)))
t <- med(function() DT[, .(v1 = sum(v1)), by = id1]); cat(sprintf("sum_by_id1 %.4f %d\n", t, sum(x$v1)))
t <- med(function() DT[, .(v3 = mean(v3)), by = id1]); cat(sprintf("mean_by_id1 %.4f %.6f\n", t, sum(x$v3)))
t <- med(function() DT[, .(v1 = sum(v1)), by = .(id1, id2)]); cat(sprintf("sum_by_id1_id2 %.4f %d\n", t, nrow(x)))
t <- med(function() DT[, .(v3 = mean(v3)), by = .(id1, id2)]); cat(sprintf("mean_by_id1_id2 %.4f %.6f\n", t, sum(x$v3)))
t <- med(function() { y <- copy(DT); setorder(y, id4, v3); y }); cat(sprintf("sort_id4_v3 %.4f %.6f\n", t, x$v3[1] + x$v3[nrow(x)]))
t <- med(function() DT[, .(r = frollmean(v3, 7)), by = id1]); cat(sprintf("rolling_mean7_by_id1 %.4f %.4f\n", t, sum(x$r, na.rm = TRUE)))
