"""How a candidate is scored: BN recalibration, evaluation on the search
split (raced or whole), the proxy finetune (one run, a ladder of rungs,
or runs shared by several candidates), the heads it starts from, the
rerank, and the batches all of it draws."""
