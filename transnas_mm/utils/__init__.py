from .checkpoint_compat import (UnsafeCheckpointError,
                                install_checkpoint_compat, safe_torch_load)
from .config_options import find_hook, hooks_by_type, is_search_hook
from .data_checks import check_data_files
from .device_env import setup_env_for_device
from .resume import latest_checkpoint

__all__ = [
    'UnsafeCheckpointError', 'check_data_files', 'find_hook',
    'hooks_by_type', 'is_search_hook',
    'install_checkpoint_compat', 'latest_checkpoint', 'safe_torch_load',
    'setup_env_for_device'
]
