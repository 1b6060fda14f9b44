"""The 2018 Seoul third-sector safety-net surveys (organisations n=186, workers n=417): calibrated
synthetic microdata (:mod:`.synth`), the reproduction of every published figure (:mod:`.reproduce`)
and the bundled demo data (:mod:`.demo`).
"""
