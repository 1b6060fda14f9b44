# Reads surveykit_written.sav (written by surveykit.io.write_sav, see surveykit_written.py)
# with R haven and records what haven sees, so tests/test_io.py can check that surveykit's
# files carry labels and user-missing codes other software understands.
# Run from this folder through make_files.sh:  Rscript read_written.R
suppressPackageStartupMessages({
  library(haven)
  library(jsonlite)
})
x <- read_sav("surveykit_written.sav", user_na = TRUE)
labels_of <- function(v) {
  l <- attr(v, "labels")
  if (is.null(l)) NULL else as.list(setNames(unname(unclass(l)), names(l)))
}
na_of <- function(v) {
  list(values = if (is.null(attr(v, "na_values"))) list() else as.list(attr(v, "na_values")),
       range = if (is.null(attr(v, "na_range"))) list() else as.list(attr(v, "na_range")))
}
record <- list(
  r_version = R.version.string,
  haven_version = as.character(packageVersion("haven")),
  call = 'read_sav("surveykit_written.sav", user_na = TRUE)',
  columns = names(x),
  variable_labels = lapply(x, function(v) {
    l <- attr(v, "label"); if (is.null(l)) NA_character_ else l
  }),
  value_labels = Filter(Negate(is.null), lapply(x, labels_of)),
  user_missing = lapply(Filter(function(v) inherits(v, "haven_labelled_spss"), x), na_of),
  is_user_missing = lapply(Filter(function(v) inherits(v, "haven_labelled_spss"), x),
                           function(v) is.na(v) & !is.na(unclass(v))),
  data = lapply(x, function(v) as.vector(unclass(v)))
)
write_json(record, "surveykit_written_haven.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
