"""Test helper hook: each rank writes the sub-network it trained per
iteration, and a digest of its final weights."""
import hashlib
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from transnas_mm.engine import find_supernet
from transnas_mm.space import arch_key


@HOOKS.register_module()
class RecordArchHook(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        arch = find_supernet(runner.model).current_arch
        with open(osp.join(runner.work_dir,
                           f'archs_rank{get_rank()}.jsonl'), 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter,
                                    arch=arch_key(arch))) + '\n')

    def after_train(self, runner) -> None:
        h = hashlib.sha256()
        for key, value in sorted(runner.model.state_dict().items()):
            h.update(key.encode())
            h.update(value.detach().cpu().numpy().tobytes())
        with open(osp.join(runner.work_dir,
                           f'weights_rank{get_rank()}.txt'), 'w') as f:
            f.write(h.hexdigest())
