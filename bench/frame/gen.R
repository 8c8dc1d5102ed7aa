# db-benchmark's groupby table: id1..id6 keys with K groups, v1..v3 values.
# Usage: Rscript gen.R N K out.csv
args <- commandArgs(TRUE)
N <- as.integer(args[1]); K <- as.integer(args[2]); out <- args[3]
suppressMessages(library(data.table))
set.seed(108)
DT <- data.table(
  id1 = sample(sprintf("id%03d", 1:K), N, TRUE),
  id2 = sample(sprintf("id%03d", 1:K), N, TRUE),
  id3 = sample(sprintf("id%010d", 1:(N/K)), N, TRUE),
  id4 = sample(K, N, TRUE),
  id5 = sample(K, N, TRUE),
  id6 = sample(N/K, N, TRUE),
  v1 = sample(5, N, TRUE),
  v2 = sample(15, N, TRUE),
  v3 = round(runif(N, max = 100), 6))
fwrite(DT, out)
