from .artifacts import plot_pareto, plot_search_curve, write_log, write_pareto
from .calibrate import calibration_batches, recalibrate_bn, seeded, unwrap
from .evaluate import evaluate
from .evolution import (WORST, ArchSearch, Candidate, SearchConfig,
                        pareto_front)
from .fitness import ObjectiveError, SubnetScorer, check_finite
from .loop import STATE_FILE, load_state, run_search
from .proxy import ProxyFinetune
from .rerank import rerank

__all__ = [
    'plot_pareto', 'plot_search_curve', 'write_log', 'write_pareto',
    'calibration_batches', 'recalibrate_bn', 'seeded', 'unwrap', 'evaluate',
    'WORST', 'ArchSearch', 'Candidate', 'SearchConfig', 'pareto_front',
    'ObjectiveError', 'SubnetScorer', 'check_finite', 'STATE_FILE', 'load_state', 'run_search',
    'ProxyFinetune', 'rerank'
]
