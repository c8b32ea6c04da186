"""Sets an open-vocabulary detector's class names and novel split from the dataset metainfo before each loop."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS
from .vocabulary import novel_names_from_metainfo


@HOOKS.register_module()
class OpenVocabularyHook(Hook):
    """Before training, validation and testing, call ``model.set_vocabulary(metainfo['classes'], novel names)``
    with the loop's dataset: ``metainfo['novel_classes']``, or the LVIS categories of the dataset's ``ann_file`` with
    ``metainfo['novel_frequency']`` (``'r'``)."""

    priority = 'HIGH'

    def _set(self, runner, loader_name: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        dataset = getattr(getattr(runner, loader_name), 'dataset', None)
        metainfo = getattr(dataset, 'metainfo', {}) or {}
        if 'classes' not in metainfo:
            return
        source = f'{loader_name}: {type(dataset).__name__}.metainfo'
        novel = novel_names_from_metainfo(metainfo, getattr(dataset, 'ann_file', None))
        model.set_vocabulary(metainfo['classes'], novel, source)

    def before_train(self, runner) -> None:
        """Vocabulary of the training set."""
        self._set(runner, 'train_dataloader')

    def before_val(self, runner) -> None:
        """Vocabulary of the validation set."""
        self._set(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        """Vocabulary of the test set."""
        self._set(runner, 'test_dataloader')
