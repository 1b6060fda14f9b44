# Golden values for surveykit/tables.py (frequency, crosstab + Rao-Scott, multiple response).
# Run from the repository root:
#   Rscript tests/golden/r/tables.R
# Writes tests/golden/tables.json at full precision (jsonlite::write_json(digits = NA)).
# Data: R survey's api samples, read from tests/data/api/*.csv (as the Python tests read them).
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
api <- function(nm) read.csv(file.path("tests", "data", "api", paste0(nm, ".csv")),
                             stringsAsFactors = FALSE)
apistrat <- api("apistrat")
apiclus1 <- api("apiclus1")
# a derived 3-level variable, rebuilt identically in the Python tests
g3 <- function(d) ifelse(d$api00 < 600, "low", ifelse(d$api00 < 750, "mid", "high"))
apistrat$api_g3 <- g3(apistrat)
apiclus1$api_g3 <- g3(apiclus1)
# multiple-response items: 1 = selected, 0 = not (yes/no columns of the api data)
yes <- function(x) as.numeric(x == "Yes")
mr_items <- c("sch.wide", "comp.imp", "both", "awards", "yr.rnd")
mr_cols <- paste0("mr_", seq_along(mr_items))
for (d in c("apistrat", "apiclus1")) {
  dd <- get(d)
  for (i in seq_along(mr_items)) dd[[mr_cols[i]]] <- yes(dd[[mr_items[i]]])
  assign(d, dd)
}

designs <- list(
  apistrat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc),
  apiclus1 = svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
)
calls <- list(
  apistrat = "svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)",
  apiclus1 = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)"
)

# one-way frequency: svytable/svytotal (weighted n), svymean (proportion), svyciprop (logit CI)
freq <- function(des, var) {
  x <- des$variables[[var]]
  lev <- sort(unique(x))
  f <- as.formula(paste0("~factor(", var, ")"))
  tot <- svytotal(f, des)
  mn <- svymean(f, des)
  ci <- t(sapply(lev, function(l) {
    cp <- svyciprop(as.formula(paste0("~I(", var, " == '", l, "')")), des, method = "logit")
    as.numeric(attr(cp, "ci"))
  }))
  list(levels = lev, n = as.numeric(table(factor(x, levels = lev))),
       weighted_n = as.numeric(coef(tot)), weighted_n_se = as.numeric(SE(tot)),
       svytable = as.numeric(svytable(as.formula(paste0("~", var)), des)),
       estimate = as.numeric(coef(mn)), se = as.numeric(SE(mn)),
       ci_low = ci[, 1], ci_high = ci[, 2], df = degf(des))
}

chisq <- function(des, fml) {
  out <- list()
  for (st in c("F", "Chisq", "Wald")) {
    t <- svychisq(fml, des, statistic = st)
    out[[st]] <- list(statistic = as.numeric(t$statistic), parameter = as.list(t$parameter),
                      p_value = as.numeric(t$p.value))
  }
  out
}

# crosstab percentages: cell (svymean of the interaction), row (svyby over the row variable),
# column (svyby over the column variable); unweighted and weighted cell counts
xtab <- function(des, row, col) {
  d <- des$variables
  rl <- sort(unique(d[[row]])); cl <- sort(unique(d[[col]]))
  des <- update(des, cell__ = factor(paste(d[[row]], d[[col]], sep = ":"),
                                     levels = as.vector(outer(rl, cl, paste, sep = ":"))),
                r__ = factor(d[[row]], levels = rl), c__ = factor(d[[col]], levels = cl))
  cell <- svymean(~cell__, des)
  cellt <- svytotal(~cell__, des)
  rowp <- svyby(~c__, ~r__, des, svymean)
  colp <- svyby(~r__, ~c__, des, svymean)
  nr <- length(rl); nc <- length(cl)
  # svyby rows = levels of the by variable, columns = proportions then SEs
  list(row_levels = rl, col_levels = cl,
       cells = as.vector(outer(rl, cl, paste, sep = ":")),   # row-major order r1:c1, r2:c1, ...
       n = as.numeric(table(factor(d[[row]], levels = rl), factor(d[[col]], levels = cl))),
       weighted_n = as.numeric(coef(cellt)), weighted_n_se = as.numeric(SE(cellt)),
       cell = as.numeric(coef(cell)), cell_se = as.numeric(SE(cell)),
       # row percentages as an nr x nc matrix flattened column-major (same order as cells)
       row = as.numeric(as.matrix(rowp[, 1 + 1:nc])),
       row_se = as.numeric(as.matrix(rowp[, 1 + nc + 1:nc])),
       # column percentages: svyby gives nc x nr; transpose to nr x nc then flatten column-major
       col = as.numeric(t(as.matrix(colp[, 1 + 1:nr]))),
       col_se = as.numeric(t(as.matrix(colp[, 1 + nr + 1:nr]))))
}

# multiple response: % of cases = svyratio(item, base) with base = 1 for every answering case;
# % of responses = svyratio(item, number of items selected). Per item, by group: svyby svyratio,
# and the per-item Rao-Scott F test item x group.
mr <- function(des) {
  d <- des$variables
  nsel <- rowSums(d[, mr_cols])
  des <- update(des, base__ = 1, nsel__ = nsel, anysel__ = as.numeric(nsel > 0))
  num <- as.formula(paste("~", paste(mr_cols, collapse = "+")))
  cases <- svyratio(num, ~base__, des)
  resp <- svyratio(num, ~nsel__, des)
  # SPSS convention: base = cases with at least one item selected
  cases_any <- svyratio(num, ~anysel__, des)
  by_cases <- svyby(num, ~stype, des, svyratio, denominator = ~base__)
  k <- length(mr_cols)
  tests <- lapply(mr_cols, function(v) {
    t <- svychisq(as.formula(paste0("~", v, "+stype")), des, statistic = "F")
    list(statistic = as.numeric(t$statistic), ndf = as.numeric(t$parameter[1]),
         ddf = as.numeric(t$parameter[2]), p_value = as.numeric(t$p.value))
  })
  list(items = mr_cols, source_columns = mr_items,
       cases = as.numeric(coef(cases)), cases_se = as.numeric(SE(cases)),
       responses = as.numeric(coef(resp)), responses_se = as.numeric(SE(resp)),
       cases_any = as.numeric(coef(cases_any)), cases_any_se = as.numeric(SE(cases_any)),
       count = as.numeric(coef(svytotal(num, des))),
       by_levels = as.character(by_cases$stype),
       by_cases = unname(as.matrix(by_cases[, 1 + 1:k])),
       by_cases_se = unname(as.matrix(by_cases[, 1 + k + 1:k])),
       tests = tests)
}

out <- list(
  meta = list(R = R.version.string, survey = as.character(packageVersion("survey")),
              jsonlite = as.character(packageVersion("jsonlite")),
              script = "tests/golden/r/tables.R", designs = calls,
              derived = list(api_g3 = "api00 < 600 -> low; < 750 -> mid; else high",
                             mr = "mr_i = (column == 'Yes') for sch.wide, comp.imp, both, awards, yr.rnd")),
  frequency = list(
    apistrat_stype = freq(designs$apistrat, "stype"),
    apiclus1_stype = freq(designs$apiclus1, "stype"),
    apiclus1_api_g3 = freq(designs$apiclus1, "api_g3"),
    # 'M' as a user-missing code: percentages over the valid rows only (domain = subset)
    apiclus1_stype_missing_M = freq(subset(designs$apiclus1, stype != "M"), "stype")
  ),
  chisq = list(
    apistrat_schwide_stype = chisq(designs$apistrat, ~sch.wide + stype),
    apiclus1_schwide_stype = chisq(designs$apiclus1, ~sch.wide + stype),
    apistrat_g3_stype = chisq(designs$apistrat, ~api_g3 + stype),
    apiclus1_g3_stype = chisq(designs$apiclus1, ~api_g3 + stype)
  ),
  crosstab = list(
    apistrat_schwide_stype = xtab(designs$apistrat, "sch.wide", "stype"),
    apiclus1_g3_stype = xtab(designs$apiclus1, "api_g3", "stype")
  ),
  multiple_response = list(
    apistrat = mr(designs$apistrat),
    apiclus1 = mr(designs$apiclus1)
  )
)
write_json(out, file.path("tests", "golden", "tables.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
