from .arch_search_hook import ArchSearchHook

__all__ = ['ArchSearchHook']
