"""MOFI (Wu et al., ICLR 2024): the image-to-entities (I2E) labelling pieces, the entity-labelled dataset, and the
pre-trainer with a sharded / sampled entity classifier plus a contrastive entity-text head."""
from ..evaluation import instance_retrieval  # noqa: F401  (registers InstanceRetrievalMetric)
from .entity_dataset import EntityImageDataset
from .entity_table import Entity, check_entities, entity_text, normalise_name, read_entity_table, write_entity_table
from .entity_transforms import LoadEntityImage, PackImageEntities, SampleEntityText
from .gpr1200_dataset import GPR1200Dataset
from .linear_probe import LinearProbeAccuracy
from .mofi_pretrainer import MOFIPretrainer
from .text_align_tower import TextAlignTower

__all__ = ['EntityImageDataset', 'Entity', 'check_entities', 'entity_text', 'normalise_name', 'read_entity_table',
           'write_entity_table', 'GPR1200Dataset', 'LinearProbeAccuracy', 'PackImageEntities', 'SampleEntityText', 'MOFIPretrainer',
           'TextAlignTower', 'LoadEntityImage']
