"""One schema for what a search writes and every reader reads:
``summary.json`` (architecture search) and ``weight_sources.json`` (weight
search). The hooks write them, the report, the demo and the tools read
them through these classes, never through raw keys."""
import json
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Dict, List, Optional, Type, TypeVar

from ...utils.atomic_io import atomic_write_json

T = TypeVar('T', bound='_Document')


class _Document:
    """``to_json(path)`` atomically; ``from_file(path)`` with a one-line
    error naming the file and the missing key."""

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def to_json(self, path: str) -> None:
        atomic_write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls: Type[T], doc: Dict[str, Any], source: str = '') -> T:
        """A field with a default was added by a later release: a
        document written before it takes the default."""
        if not isinstance(doc, dict):
            raise ValueError(f'{source}: expected a JSON object '
                             f'({cls.__name__}), got {type(doc).__name__}')
        missing = [f.name for f in fields(cls) if f.name not in doc and
                   f.default is MISSING and f.default_factory is MISSING]
        if missing:
            raise ValueError(f'{source}: {missing[0]}: missing; expected a '
                             f'{cls.__name__} written by transnas_mm')
        return cls(**{f.name: doc[f.name] for f in fields(cls)
                      if f.name in doc})

    @classmethod
    def from_file(cls: Type[T], path: str) -> T:
        try:
            with open(path) as f:
                doc = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: malformed JSON ({e})') from None
        return cls.from_dict(doc, path)


@dataclass
class ArchSummary(_Document):
    """``summary.json``: the chosen arch's score and cost, how the search
    went, and how far the best stands above the median in score noise."""
    metric_key: str
    rule: str
    best_score: float
    best_value: Optional[float]
    best_metrics: Dict[str, float]
    flops: int
    params: int
    latency_ms: Optional[float]
    generations_done: int
    evaluated: int
    rejected: int
    skipped_by_predictor: int
    predictor: List[dict]
    raced: int
    images_evaluated: int
    input_shape: List[int]
    median_score: float
    score_noise: Optional[float]
    best_minus_median: float
    best_minus_median_over_noise: Optional[float]
    selected_by: str
    rerank: List[dict]
    # the heads the proxy finetunes started from, when not the adapted
    # ones by default: dict(picked, search_split) (search.head_start)
    head_start: Optional[dict] = None


@dataclass
class SearchSplitScores(_Document):
    plain: Optional[float]
    nws: float
    best_found: float


@dataclass
class WeightSources(_Document):
    """``weight_sources.json``: the chosen assignment against plain
    inheritance, the margin it had to beat, and one row per layer."""
    metric_key: str
    search_split: SearchSplitScores
    noise: Optional[float]
    margin: Optional[float]
    kept_plain: bool
    heldout: Optional[Dict[str, float]]
    evaluated: int
    raced: int
    images_evaluated: int
    layers: List[dict]

    @classmethod
    def from_dict(cls, doc: Dict[str, Any], source: str = ''
                  ) -> 'WeightSources':
        out = super().from_dict(doc, source)
        out.search_split = SearchSplitScores.from_dict(
            out.search_split, f'{source}: search_split')
        return out

    @property
    def changed_layers(self) -> int:
        return sum(bool(r['changed']) for r in self.layers)
