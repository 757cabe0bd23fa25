from .arch import (Arch, ArchError, arch_edges, arch_key, arch_ops, load_arch,
                   make_arch, save_arch, space_of, validate_arch)
from .complexity import CostTable, layer_input_sizes
from .latency import LatencyTable, measure_latency
from .ops import DEFAULT_CANDIDATES, SKIP, build_op, parse_op
from .presets import PRESET_INPUT_NORM, PRESETS, space_preset
from .sampling import largest_arch, reference_arch, sample_arch, smallest_arch
from .search_space import (DEFAULT_STAGES, LayerSpec, SearchSpace,
                           build_space, space_of_backbone)

__all__ = [
    'Arch', 'ArchError', 'CostTable', 'LatencyTable', 'measure_latency',
    'layer_input_sizes', 'arch_edges', 'arch_key', 'arch_ops', 'load_arch',
    'make_arch', 'save_arch', 'space_of', 'validate_arch',
    'DEFAULT_CANDIDATES', 'SKIP', 'build_op', 'parse_op', 'largest_arch',
    'reference_arch', 'sample_arch', 'smallest_arch', 'DEFAULT_STAGES',
    'LayerSpec', 'SearchSpace', 'build_space', 'space_of_backbone',
    'PRESETS', 'PRESET_INPUT_NORM', 'space_preset'
]
