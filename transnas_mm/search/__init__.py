from .arch_search import (ArchSearch, SearchConfig, sample_arch_within,
                          within_ranges)
from .artifacts import weight_source_rows, write_log, write_pareto
from .base import Search
from .calibrate import calibration_batches, recalibrate_bn, seeded, unwrap
from .candidate import WORST, Candidate, pareto_front
from .evaluate import evaluate
from .fitness import ObjectiveError, SubnetScorer, check_finite
from .loop import STATE_FILE, load_state, run_search
from .plots import (plot_arch, plot_pareto, plot_search_curve,
                    plot_weight_sources, save_figure)
from .predictor import RidgePredictor, predictor_by_generation
from .proxy import ProxyFinetune
from .rerank import rerank
from .weight_search import WeightSearch, WeightSearchConfig
from .weight_sources import WeightAssigner

__all__ = [
    'ArchSearch', 'SearchConfig', 'sample_arch_within', 'within_ranges',
    'weight_source_rows', 'write_log', 'write_pareto', 'Search',
    'calibration_batches', 'recalibrate_bn', 'seeded', 'unwrap', 'WORST',
    'Candidate', 'pareto_front', 'evaluate', 'ObjectiveError',
    'SubnetScorer', 'check_finite', 'STATE_FILE', 'load_state',
    'run_search', 'plot_arch', 'plot_pareto', 'plot_search_curve',
    'plot_weight_sources', 'save_figure', 'RidgePredictor',
    'predictor_by_generation', 'ProxyFinetune', 'rerank',
    'WeightSearch', 'WeightSearchConfig', 'WeightAssigner'
]
