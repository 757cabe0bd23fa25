from .arch.predictor import RidgePredictor, predictor_by_generation
from .arch.search import (ArchSearch, SearchConfig, sample_arch_within,
                          within_ranges)
from .core.base import Search
from .core.candidate import WORST, Candidate, pareto_front
from .core.loop import load_state, run_search
from .outputs.artifacts import weight_source_rows, write_log, write_pareto
from .outputs.plots import (plot_arch, plot_pareto, plot_search_curve,
                            plot_weight_sources, save_figure)
from .scoring.calibrate import (calibration_batches, recalibrate_bn, seeded,
                                unwrap)
from .scoring.evaluate import evaluate
from .scoring.fitness import ObjectiveError, SubnetScorer, check_finite
from .scoring.proxy import ProxyFinetune
from .scoring.rerank import rerank
from .weights.search import WeightSearch, WeightSearchConfig
from .weights.sources import WeightAssigner

__all__ = [
    'ArchSearch', 'SearchConfig', 'sample_arch_within', 'within_ranges',
    'weight_source_rows', 'write_log', 'write_pareto', 'Search',
    'calibration_batches', 'recalibrate_bn', 'seeded', 'unwrap', 'WORST',
    'Candidate', 'pareto_front', 'evaluate', 'ObjectiveError',
    'SubnetScorer', 'check_finite', 'load_state',
    'run_search', 'plot_arch', 'plot_pareto', 'plot_search_curve',
    'plot_weight_sources', 'save_figure', 'RidgePredictor',
    'predictor_by_generation', 'ProxyFinetune', 'rerank',
    'WeightSearch', 'WeightSearchConfig', 'WeightAssigner'
]
