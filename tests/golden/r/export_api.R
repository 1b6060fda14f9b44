# Writes R survey's public `api` data sets (California Academic Performance Index samples)
# to tests/data/api/ as CSV, for the Python tests. Run from the repository root:
#   Rscript tests/golden/r/export_api.R
suppressPackageStartupMessages(library(survey))
data(api)
out <- file.path("tests", "data", "api")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
for (nm in c("apistrat", "apiclus1", "apiclus2", "apisrs")) {
  d <- get(nm)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  write.csv(d, file.path(out, paste0(nm, ".csv")), row.names = FALSE, na = "")
}
writeLines(c(paste("R", getRversion()), paste("survey", packageVersion("survey"))),
           file.path(out, "VERSIONS.txt"))
