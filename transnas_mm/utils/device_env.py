"""Make GPU-oriented configs and launchers run on CPU-only machines."""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_env_for_device(cfg: Config) -> None:
    """Without CUDA: use gloo instead of nccl; for the ``pytorch`` launcher
    start the process group here, because MMEngine 0.10.7's ``init_dist``
    calls ``torch.cuda.set_device`` unconditionally (the Runner then finds
    the group initialised), and wrap DDP without ``device_ids``."""
    if torch.cuda.is_available() or cfg.get('launcher', 'none') == 'none':
        if not torch.cuda.is_available():
            _use_gloo(cfg)
        return
    backend = _use_gloo(cfg)
    if cfg.get('launcher') == 'pytorch' and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend=backend)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def _use_gloo(cfg: Config) -> str:
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    return dist_cfg['backend']
