# Golden values for surveykit.tables.crosstab tests when a variable has missing values.
# Run from the repository root:
#   Rscript tests/golden/r/tables_na.R
# Writes tests/golden/tables_na.json at full precision (jsonlite::write_json(digits = NA)).
# Data: R survey's apiclus1, read from tests/data/api/apiclus1.csv; the column 'aw' is
# 'awards' with NA on every 9th row starting at the first (rows 1, 10, 19, ...), rebuilt
# identically in tests/test_tables.py. R's svychisq drops those rows from the table but its
# "Chisq" statistic uses N = nrow(design), the rows including the NA ones.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
d <- read.csv(file.path("tests", "data", "api", "apiclus1.csv"), stringsAsFactors = FALSE)
d$aw <- d$awards
d$aw[(seq_len(nrow(d)) - 1) %% 9 == 0] <- NA
des <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = d)
designs <- list(full = des, domain_api00_gt_600 = subset(des, api00 > 600))

chisq <- function(x) {
  out <- list(nrow = nrow(x), na_rows = sum(is.na(x$variables$aw)))
  for (st in c("F", "Chisq", "Wald")) {
    t <- svychisq(~stype + aw, x, statistic = st)
    out[[st]] <- list(statistic = as.numeric(t$statistic), parameter = as.list(t$parameter),
                      p_value = as.numeric(t$p.value))
  }
  out
}

out <- list(
  meta = list(R = R.version.string, survey = as.character(packageVersion("survey")),
              jsonlite = as.character(packageVersion("jsonlite")),
              script = "tests/golden/r/tables_na.R",
              design = "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)",
              calls = c("svychisq(~stype + aw, design, statistic = st)",
                        "svychisq(~stype + aw, subset(design, api00 > 600), statistic = st)"),
              derived = "aw = awards; aw[(row - 1) %% 9 == 0] = NA (rows 1, 10, 19, ...)"),
  chisq = lapply(designs, chisq)
)
write_json(out, file.path("tests", "golden", "tables_na.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
