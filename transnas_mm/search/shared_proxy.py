"""Shared proxy finetune: a generation's candidates trained together, in
one run, before each is scored (``proxy=dict(share=True)``).

Why: a proxy finetune per candidate costs ``iters`` steps each, which made
the arch search the largest part of a target's compute. One run of
``iters x n`` steps from the adapted weights, whose step ``t`` trains
candidate ``t mod n``'s path, gives every candidate its ``iters`` steps
on shared weights, as NAT adapts its super-network during the search. In
the rank studies (configs/transnas/README.md) 90 shared steps per
candidate ranked the finetuned archs about as well as 180 steps of its
own, at half the steps."""
from typing import Callable, Dict, List, Sequence

from .candidate import Candidate
from .proxy import ProxyFinetune


class SharedProxy:
    """``proxy`` gives the lr, schedule and seed; ``draw(num)`` the fixed
    training batches (drawn once per run length, so a rerun or a resume
    trains on the same ones); ``restore`` puts the adapted weights back;
    ``set_path(cand)`` sets a candidate's path on the super-network."""

    def __init__(self, proxy: ProxyFinetune, iters: int,
                 draw: Callable[[int], Sequence], restore: Callable[[], None],
                 set_path: Callable[[Candidate], None]):
        self.proxy = proxy
        self.iters = iters
        self.draw = draw
        self.restore = restore
        self.set_path = set_path
        self._batches: Dict[int, Sequence] = {}

    def train(self, cands: List[Candidate]) -> None:
        """From the adapted weights, ``iters`` steps per candidate in one
        run, the paths taken in turn; the weights are left trained (each
        candidate is then scored on them with its own path)."""
        self.restore()
        if not cands:
            return
        steps = self.iters * len(cands)
        if steps not in self._batches:
            self._batches[steps] = self.draw(steps)
        self.proxy.run(steps, self._batches[steps],
                       lambda t: self.set_path(cands[t % len(cands)]))
