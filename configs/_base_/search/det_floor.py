# A detector whose best path scores under 0.01 mAP on the search split did
# not learn the target (a collapsed adaptation scored 0.001 while healthy
# ones score 0.27): the searches stop with an error instead of exporting it.
# Shared by the demo and the real-scale detection searches.
det_floor = 0.01
