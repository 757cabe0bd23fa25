from .arch_search_hook import ArchSearchHook
from .weight_search_hook import WeightSearchHook

__all__ = ['ArchSearchHook', 'WeightSearchHook']
