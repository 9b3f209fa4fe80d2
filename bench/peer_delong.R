# The peer for DeLong: read both files, pROC's roc() and paired roc.test(). Prints seconds.
suppressMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
c <- read.csv(args[1])
b <- read.csv(args[2])
r1 <- roc(c$label, c$score, levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(c$label, b$score, levels = c(0, 1), direction = "<", quiet = TRUE)
t <- roc.test(r1, r2, method = "delong", paired = TRUE)
cat(sprintf("%.3f %.6g\n", proc.time()[["elapsed"]] - t0, t$p.value))
