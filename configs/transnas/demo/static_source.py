# The honest baseline's source (the report's `static` row): the demo hand
# chain (all mb_k3e6, no extra edges) trained alone on the same source data
# with the same schedule, optimiser and budget as supernet_source.py. The
# super-network's reference path for every step is exactly that static
# network (warm-up beyond the schedule: no path is ever sampled and the
# other ops never get a gradient), so its checkpoint exports the hand chain
# a user would have trained instead of a super-network.
_base_ = ['./supernet_source.py']

model = dict(backbone=dict(warmup_iters=10**9))
val_cfg = dict(archs=('reference', ))
