# Golden values for surveykit.studies.safety_net_2018.reproduce: every published figure recomputed in R from the
# shipped demo data, independently of the Python code.
#
# Run from the repository root:   Rscript tests/golden/r/reproduce.R
# Reads:   instruments/{organisation,worker}_2018.yaml (figure specs),
#          instruments/demo/{organisation,worker}_2018.sav (haven::read_sav(user_na = TRUE))
# Writes:  tests/golden/reproduce.json  (jsonlite::write_json(digits = NA, auto_unbox = TRUE))
#
# Semantics (see surveykit/instrument.py): user-missing codes are NA here (haven's is.na() on
# labelled_spss counts user-missing as missing); a figure base such as "coverage_held == 1" is
# evaluated with NA -> FALSE; pct figures count codes among valid answers in the base (na:
# count keeps unanswered rows in the denominator); means are unweighted over valid answers; a
# mode is the single most frequent valid answer. Re-run after regenerating the demo data.

suppressPackageStartupMessages({
  library(haven)
  library(yaml)
  library(jsonlite)
})

figure_rows <- function(stem, survey) {
  spec <- yaml::read_yaml(file.path("instruments", paste0(stem, ".yaml")), handlers = list(int = as.numeric))
  raw <- haven::read_sav(file.path("instruments", "demo", paste0(stem, ".sav")), user_na = TRUE)
  valid <- as.data.frame(lapply(raw, function(x) if (is.character(x)) x else as.numeric(haven::zap_missing(x))))
  lapply(spec$figures, function(f) one_figure(f, valid, survey))
}

in_base <- function(f, valid) {
  if (is.null(f$base)) return(rep(TRUE, nrow(valid)))
  hit <- eval(parse(text = f$base), envir = valid)
  !is.na(hit) & hit
}

one_figure <- function(f, valid, survey) {
  out <- list(survey = survey, key = f$key, kind = f$kind)
  if (f$kind == "external") return(out)
  base <- in_base(f, valid)
  cols <- unlist(f$question)
  x <- valid[[cols[1]]]
  if (f$kind == "pct") {
    codes <- if (is.null(f$codes)) 1 else unlist(f$codes)
    per_col <- lapply(cols, function(col) {
      x <- valid[[col]]
      denom <- if (identical(f$na, "count")) base else base & !is.na(x)
      c(count = sum(denom & x %in% codes), base = sum(denom))
    })
    out$counts <- vapply(per_col, function(v) unname(v["count"]), numeric(1))
    out$bases <- vapply(per_col, function(v) unname(v["base"]), numeric(1))
    out$pct <- 100 * out$counts / out$bases
  } else if (f$kind == "mean") {
    use <- base & !is.na(x)
    out$base <- sum(use)
    out$mean <- mean(x[use])
  } else if (f$kind == "mode") {
    tab <- table(x[base & !is.na(x)])
    top <- names(tab)[tab == max(tab)]
    out$base <- sum(tab)
    out$mode_count <- max(tab)
    out$mode_code <- if (length(top) == 1) as.numeric(top) else NA
  }
  out
}

figures <- c(figure_rows("organisation_2018", "organisation"), figure_rows("worker_2018", "worker"))
golden <- list(
  r_version = R.version.string,
  packages = list(haven = as.character(packageVersion("haven")),
                  yaml = as.character(packageVersion("yaml")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  call = "haven::read_sav(path, user_na = TRUE); haven::zap_missing(); base R table()/mean() per figure spec",
  data = c("instruments/demo/organisation_2018.sav", "instruments/demo/worker_2018.sav"),
  figures = figures
)
jsonlite::write_json(golden, file.path("tests", "golden", "reproduce.json"), digits = NA, auto_unbox = TRUE,
                     pretty = TRUE)
