"""Datasets and data generators shared by several dense_align methods."""
from .demo_shapes import CLASSES, SEG_CLASSES, SEG_PALETTE, DemoShapesSpec, generate_demo_shapes, is_generated
from .demo_videos import ACTIONS, UNSEEN_NAMES, DemoVideosSpec, generate_demo_videos
from .image_text import CaptionFileDataset, CaptionShardDataset, SampleCaption

__all__ = ['CaptionFileDataset', 'CaptionShardDataset', 'SampleCaption', 'ACTIONS', 'UNSEEN_NAMES', 'DemoVideosSpec', 'generate_demo_videos', 'CLASSES', 'SEG_CLASSES', 'SEG_PALETTE', 'DemoShapesSpec', 'generate_demo_shapes', 'is_generated']
