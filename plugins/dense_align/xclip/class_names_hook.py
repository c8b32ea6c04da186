"""A hook that refuses to train or evaluate a video recognizer on a dataset whose class list differs from the
model's (the labels would point at other names and the accuracy would silently be wrong)."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS
from .class_names import check_same_classes


@HOOKS.register_module()
class ClassNamesCheckHook(Hook):
    """Before training, validation and testing: the model's ``class_names`` must equal the dataset's
    ``metainfo['classes']`` (length and order), else a ``ValueError`` naming both sources."""

    def _check(self, runner, loader_name: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        loader = getattr(runner, loader_name)
        dataset = getattr(loader, 'dataset', None)
        classes: Optional[tuple] = getattr(dataset, 'metainfo', {}).get('classes') if dataset is not None else None
        if classes is None or not hasattr(model, 'class_names'):
            return
        source = getattr(dataset, 'class_file', None) or f'{type(dataset).__name__}.metainfo'
        check_same_classes(model.class_names, getattr(model, 'class_names_source', 'a list'), classes,
                           f'{loader_name}: {source}')

    def before_train(self, runner) -> None:
        """Check the training set."""
        self._check(runner, 'train_dataloader')

    def before_val(self, runner) -> None:
        """Check the validation set."""
        self._check(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        """Check the test set."""
        self._check(runner, 'test_dataloader')
