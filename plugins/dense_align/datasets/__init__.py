"""Datasets and data generators shared by several dense_align methods."""
from .demo_shapes import CLASSES, SEG_CLASSES, SEG_PALETTE, DemoShapesSpec, generate_demo_shapes, is_generated

__all__ = ['CLASSES', 'SEG_CLASSES', 'SEG_PALETTE', 'DemoShapesSpec', 'generate_demo_shapes', 'is_generated']
