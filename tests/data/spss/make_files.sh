#!/bin/sh
# Rebuilds every file in this folder (the test data of tests/test_io.py).
# Needs GNU PSPP (`pspp`, tested with 1.6.2), R with haven + jsonlite, and Python 3 with surveykit
# installed (surveykit_written.py uses our own write_sav).
# The .sav/.zsav/.por/.dta files and the .json records are committed; CI does not run this.
set -eu
cd "$(dirname "$0")"
pspp org_survey.sps > /dev/null      # org_utf8.sav, org_utf8.zsav, org_cp949.sav, org_cp1252.sav, org.por
python3 derive_headers.py            # org_cp949_noenc.sav, org_cp949_as1252.sav, org_cp949_asutf8.sav
Rscript workers_haven.R              # workers_haven.sav, workers_haven.dta, workers_haven.json
python3 surveykit_written.py         # surveykit_written.sav (our own writer) ...
Rscript read_written.R               # ... read back by haven: surveykit_written_haven.json
pspp --version | head -n 1 > VERSIONS.txt
Rscript -e 'cat(R.version.string, "\nhaven", as.character(packageVersion("haven")), "\n")' >> VERSIONS.txt
