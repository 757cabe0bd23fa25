from .checkpoint_compat import (UnsafeCheckpointError,
                                install_checkpoint_compat, safe_torch_load)
from .device_env import setup_env_for_device

__all__ = ['UnsafeCheckpointError', 'install_checkpoint_compat',
           'safe_torch_load', 'setup_env_for_device']
