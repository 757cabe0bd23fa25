"""AtomicCheckpointHook: MMEngine's CheckpointHook with crash-safe rotation."""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from ..registry import HOOKS
from ..utils.atomic_io import (TEMP_SUFFIX, atomic_write_text,
                               remove_stale_temps, save_error)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """Same arguments and files as ``CheckpointHook``, but a kill at any
    moment leaves ``last_checkpoint`` pointing at a complete checkpoint.

    MMEngine deletes the oldest checkpoint *before* writing the new one
    in place, so with ``max_keep_ckpts=1`` a kill during the save loses the
    adapted weights and every ``resume`` fails. Here the new checkpoint is
    written to a temp file and renamed, ``last_checkpoint`` is replaced
    atomically, and only then are old checkpoints deleted. Remote
    backends keep MMEngine's behaviour.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self._local() and is_main_process():
            remove_stale_temps(self.out_dir)

    def _local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        stale = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                stale.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        tmp = '.' + filename + TEMP_SUFFIX
        try:
            runner.save_checkpoint(
                self.out_dir, tmp, self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler, meta=meta,
                by_epoch=self.by_epoch, backend_args=self.backend_args,
                **self.args)
        except OSError as e:  # e.g. a full disk: name the file and cause
            tmp_path = osp.join(self.out_dir, tmp)
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            raise save_error(self.last_ckpt, e) from None
        if not is_main_process():
            return
        os.replace(osp.join(self.out_dir, tmp), self.last_ckpt)
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'),
                          self.last_ckpt)
        for old in stale:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path) and path != self.last_ckpt:
                os.remove(path)
