from .arch_search_hook import ArchSearchHook
from .checkpoint_hook import AtomicCheckpointHook
from .search_hook import SearchHook
from .weight_search_hook import WeightSearchHook

__all__ = [
    'ArchSearchHook', 'AtomicCheckpointHook', 'SearchHook',
    'WeightSearchHook'
]
