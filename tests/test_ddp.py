"""Two gloo ranks on CPU, through tools/train.py and the real Runner: every
rank trains the same sub-network in every iteration, without hangs."""
import json
import os
import os.path as osp
import subprocess
import sys

from conftest import CONFIGS, ROOT, free_port


def _config(tmp_path, demo_root) -> str:
    src = osp.join(demo_root, 'source') + '/'
    path = tmp_path / 'ddp_source.py'
    path.write_text(f'''
_base_ = {osp.join(CONFIGS, 'transnas/demo/supernet_source.py')!r}
train_dataloader = dict(batch_size=8, dataset=dict(data_root={src!r},
                                                   indices=64))
val_dataloader = dict(dataset=dict(data_root={src!r}, indices=32))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = []
# sampled paths from the first step (no reference-chain warm-up)
model = dict(backbone=dict(warmup_iters=0))
custom_imports = dict(imports=['transnas_mm', 'record_arch_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RecordArchHook')]
''')
    return str(path)


def test_two_ranks_train_the_same_subnet_each_iteration(tmp_path, demo_root):
    work = tmp_path / 'work'
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([osp.join(ROOT, 'tests',
                                                    'helpers'), ROOT]),
               OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run',
           '--nproc_per_node=2', f'--master_port={free_port()}',
           osp.join(ROOT, 'tools', 'train.py'), _config(tmp_path, demo_root),
           '--launcher', 'pytorch', '--work-dir', str(work)]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=420)
    assert proc.returncode == 0, proc.stderr[-3000:]
    per_rank = []
    for r in (0, 1):
        with open(work / f'archs_rank{r}.jsonl') as f:
            per_rank.append([json.loads(line) for line in f])
    assert len(per_rank[0]) == 4  # 64 images / (2 ranks x 8)
    assert per_rank[0] == per_rank[1]
    assert len({rec['arch'] for rec in per_rank[0]}) == 4
    digests = [(work / f'weights_rank{r}.txt').read_text() for r in (0, 1)]
    assert digests[0] == digests[1]
