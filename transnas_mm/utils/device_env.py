"""Make GPU-oriented configs run on CPU-only machines."""
import torch
from mmengine.config import Config


def setup_env_for_device(cfg: Config) -> None:
    """Use gloo instead of nccl when there is no CUDA device, so
    ``tools/dist_train.sh`` also runs (slowly) on CPU machines."""
    if torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
