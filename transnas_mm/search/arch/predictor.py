"""A surrogate of the search fitness: ridge regression on a one-hot
encoding of each layer's op and extra edges, fitted on the candidates
scored so far. The search uses it to choose which children to evaluate; a
skipped child costs nothing (no calibration, no evaluation)."""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy.stats import kendalltau

from ...space import Arch, SearchSpace
from ..core.candidate import WORST, Candidate


def encode(space: SearchSpace, arch: Arch) -> np.ndarray:
    """One 0/1 feature per (layer, candidate op) and per (layer, extra
    edge): the same width for every arch of ``space``."""
    feats = []
    for spec, layer in zip(space.layers, arch['layers']):
        feats += [float(layer['op'] == op) for op in spec.candidates]
        feats += [float(e in layer['edges']) for e in spec.extra_edges]
    return np.asarray(feats)


class RidgePredictor:
    """Closed-form ridge regression (numpy): deterministic, so every rank
    fitting it on the same history predicts the same numbers."""

    def __init__(self, space: SearchSpace, alpha: float = 1.0):
        if alpha <= 0:
            raise ValueError(f'predictor alpha: expected > 0, got {alpha}')
        self.space = space
        self.alpha = alpha
        self.weights: Optional[np.ndarray] = None

    def fit(self, archs: Sequence[Arch], scores: Sequence[float],
            weights: Optional[Sequence[float]] = None) -> 'RidgePredictor':
        """``weights``: per-score confidence, e.g. the share of the search
        split a raced candidate was scored on (its score's variance grows
        as 1 / images): weighted least squares. None: all equal."""
        x = np.stack([encode(self.space, a) for a in archs])
        y = np.asarray(scores, dtype=float)
        w = np.ones(len(y)) if weights is None else \
            np.asarray(weights, dtype=float)
        if w.shape != y.shape or (w <= 0).any():
            raise ValueError(f'predictor weights: expected {len(y)} '
                             f'positive values, got {w.tolist()}')
        # equal weights: exactly plain ridge (np.average of ones = mean)
        w = np.ones_like(w) if (w == w[0]).all() else w / w.mean()
        self.x_mean = np.average(x, axis=0, weights=w)
        self.y_mean = float(np.average(y, weights=w))
        self.y_std = float(np.sqrt(np.average((y - self.y_mean) ** 2,
                                              weights=w))) or 1.0
        xc = x - self.x_mean
        gram = xc.T @ (w[:, None] * xc) + self.alpha * np.eye(x.shape[1])
        self.weights = np.linalg.solve(
            gram, xc.T @ (w * (y - self.y_mean)) / self.y_std)
        return self

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError('predictor: fit() before predict()')
        x = np.stack([encode(self.space, a) for a in archs])
        return (x - self.x_mean) @ self.weights * self.y_std + self.y_mean


def rank_correlation(predicted: Sequence[float],
                     actual: Sequence[float]) -> float:
    """Kendall tau of predicted vs measured scores (nan below 2 points or
    without variation)."""
    if len(predicted) < 2:
        return math.nan
    tau = kendalltau(predicted, actual).statistic
    return float(tau) if tau is not None else math.nan


def predictor_by_generation(cands: Sequence[Candidate]) -> List[Dict]:
    """Per generation that used the predictor: candidates evaluated and
    the Kendall tau of their predicted vs measured scores (computed over
    the evaluated ones only, i.e. the predicted best: a narrow range)."""
    rows = []
    for gen in sorted({c.generation for c in cands
                       if c.predicted is not None}):
        scored = [c for c in cands if c.generation == gen and
                  c.predicted is not None and c.first_score > WORST]
        rows.append(dict(generation=gen, evaluated=len(scored),
                         kendall_tau=rank_correlation(
                             [c.predicted for c in scored],
                             [c.first_score for c in scored])))
    return rows
