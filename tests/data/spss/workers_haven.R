# Writes the haven-made test files of surveykit.io (tests/test_io.py) and a JSON record of
# exactly what was written, which the tests compare the Python reader against.
# Run from this folder through make_files.sh:  Rscript workers_haven.R
# A small worker-survey extract with labelled values and SPSS user-missing codes
# (haven::labelled_spss: discrete na_values and an na_range) plus system-missing NA.
suppressPackageStartupMessages({
  library(haven)
  library(jsonlite)
})

join_labels <- c("전혀 없다" = 1, "별로 없다" = 2, "약간 있다" = 3, "매우 있다" = 4,
                 "모름/무응답" = 9)
income_labels <- c("200만원 미만" = 1, "200~300만원" = 2, "300만원 이상" = 3,
                   "응답 거절" = 97, "모름" = 98, "무응답" = 99)
workers <- data.frame(
  wid = c(101, 102, 103, 104, 105, 106),
  gender = labelled(c(1, 2, 2, 1, 2, 1), c("남성" = 1, "여성" = 2), label = "성별"),
  join_intent = labelled_spss(c(3, 9, 4, NA, 1, 9), join_labels, na_values = 9,
                              label = "향후 공제 가입 의향"),
  income = labelled_spss(c(1, 2, 97, 99, NA, 3), income_labels, na_range = c(97, 99),
                         label = "월평균 소득"),
  job = c("돌봄 노동자", "플랫폼 배달", "", "똠얌 식당 요리사", "NPO 활동가", "강사"),
  stringsAsFactors = FALSE
)
attr(workers$job, "label") <- "직업"

write_sav(workers, "workers_haven.sav")
write_dta(workers, "workers_haven.dta", version = 15)

# The record: what haven was asked to write.
record <- list(
  r_version = R.version.string,
  haven_version = as.character(packageVersion("haven")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  call = c('write_sav(workers, "workers_haven.sav")',
           'write_dta(workers, "workers_haven.dta", version = 15)'),
  n_rows = nrow(workers),
  columns = names(workers),
  variable_labels = lapply(workers, function(x) {
    l <- attr(x, "label"); if (is.null(l)) NA_character_ else l
  }),
  value_labels = list(
    gender = as.list(setNames(c(1, 2), c("남성", "여성"))),
    join_intent = as.list(join_labels),
    income = as.list(income_labels)
  ),
  user_missing = list(join_intent = list(values = 9),
                      income = list(range = c(97, 99))),
  data = lapply(workers, function(x) unclass(as.vector(x))),
  system_missing = lapply(workers, function(x) sum(is.na(unclass(x))))
)
write_json(record, "workers_haven.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
