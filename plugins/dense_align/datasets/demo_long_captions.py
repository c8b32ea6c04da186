"""Long multi-sentence captions and multilingual template captions of the demo images, for DreamLIP and uCLIP.

Written next to the demo data by :func:`write_demo_text_annotations` (called by the demo generator)::

    <root>/annotations/long_captions_{split}.json         {image id: long caption}: one sentence per object
                                                          (colour, shape, position) plus distractor sentences
    <root>/annotations/multilingual/captions_{lang}_{split}.json   the uCLIP / XM3600 layout: a list of
                                                          {"filename", "captions_en", "captions_translated"}

Everything is a deterministic function of the objects and the image id (no translation model: one template per
language).
"""
import json
import os
from typing import Dict, List, Sequence

import numpy as np

#: Languages of the multilingual captions.
LANGUAGES = ('en', 'de', 'fr', 'es')
_FILL = {'en': dict(red='red', green='green', blue='blue', yellow='yellow', striped='striped', dotted='dotted'),
         'de': dict(red='rot', green='grün', blue='blau', yellow='gelb', striped='gestreift', dotted='gepunktet'),
         'fr': dict(red='rouge', green='vert', blue='bleu', yellow='jaune', striped='rayé', dotted='pointillé'),
         'es': dict(red='rojo', green='verde', blue='azul', yellow='amarillo', striped='rayado', dotted='punteado')}
_SHAPE = {'en': dict(circle='circle', triangle='triangle', square='square', star='star'),
          'de': dict(circle='Kreis', triangle='Dreieck', square='Quadrat', star='Stern'),
          'fr': dict(circle='cercle', triangle='triangle', square='carré', star='étoile'),
          'es': dict(circle='círculo', triangle='triángulo', square='cuadrado', star='estrella')}
_TEMPLATE = {'en': 'a photo of {}', 'de': 'ein Foto mit {}', 'fr': 'une photo avec {}', 'es': 'una foto con {}'}
_JOIN = {'en': ' and ', 'de': ' und ', 'fr': ' et ', 'es': ' y '}
_NAMED = {'en': 'a {fill} {shape}', 'de': 'ein {shape} ({fill})', 'fr': 'un {shape} {fill}',
          'es': 'un {shape} {fill}'}
_DISTRACTORS = ('The background is covered in soft noise', 'The picture looks like a synthetic rendering',
                'There is no person in the scene', 'The lighting is even across the picture',
                'Nothing else stands out')


def _position(cx: float, cy: float, size: int) -> str:
    vertical = ('top', 'middle', 'bottom')[min(int(3 * cy / size), 2)]
    horizontal = ('left', 'centre', 'right')[min(int(3 * cx / size), 2)]
    return 'centre' if (vertical, horizontal) == ('middle', 'centre') else f'{vertical} {horizontal}'


def long_caption(objects: Sequence[dict], classes: Sequence[str], size: int, image_id: int) -> str:
    """One sentence per object (colour or texture, shape, position), with two distractor sentences mixed in.

    Args:
        objects: COCO annotations of one image (``category_id`` 1-based, ``bbox`` x, y, w, h).
        classes: the class names (``'<fill> <shape>'``).
        size: image side in pixels.
        image_id: the image id (seeds the sentence order).

    Returns:
        The long caption, sentences ending with ``'.'``.
    """
    rng = np.random.default_rng([7, image_id])
    sentences = []
    for obj in objects:
        fill, shape = classes[obj['category_id'] - 1].split()
        x, y, w, h = obj['bbox']
        sentences.append(f'A {fill} {shape} sits at the {_position(x + w / 2, y + h / 2, size)} of the image')
    picks = rng.choice(len(_DISTRACTORS), size=2, replace=False)
    sentences += [_DISTRACTORS[i] for i in picks]
    order = rng.permutation(len(sentences))
    return ' '.join(sentences[i] + '.' for i in order)


def template_caption(labels: Sequence[str], lang: str) -> str:
    """``'a photo of a red circle and a blue square'`` in ``lang`` (one template per language).

    Args:
        labels: class names (``'<fill> <shape>'``) of the objects.
        lang: one of :data:`LANGUAGES`.

    Returns:
        The caption.
    """
    if lang not in _TEMPLATE:
        raise KeyError(f'template_caption: no template for language {lang!r}; have {LANGUAGES}')
    names = []
    for label in labels:
        fill, shape = label.split()
        names.append(_NAMED[lang].format(fill=_FILL[lang][fill], shape=_SHAPE[lang][shape]))
    return _TEMPLATE[lang].format(_JOIN[lang].join(names))


def write_demo_text_annotations(root: str, split: str, images: List[dict], instances: List[dict],
                                classes: Sequence[str], size: int) -> None:
    """Write the long captions and the multilingual captions of one split (layout in the module docstring).

    Args:
        root: the demo data folder.
        split: ``'train'`` or ``'val'``.
        images: COCO image records (``id``, ``file_name``).
        instances: COCO instance annotations of those images.
        classes: the class names.
        size: image side in pixels.
    """
    by_image: Dict[int, List[dict]] = {}
    for ann in instances:
        by_image.setdefault(ann['image_id'], []).append(ann)
    longs = {str(img['id']): long_caption(by_image.get(img['id'], []), classes, size, img['id']) for img in images}
    with open(os.path.join(root, 'annotations', f'long_captions_{split}.json'), 'w', encoding='utf-8') as f:
        json.dump(longs, f, ensure_ascii=False)
    folder = os.path.join(root, 'annotations', 'multilingual')
    os.makedirs(folder, exist_ok=True)
    for lang in LANGUAGES:
        rows = []
        for img in images:
            labels = [classes[a['category_id'] - 1] for a in by_image.get(img['id'], [])]
            rows.append(dict(filename=img['file_name'], captions_en=template_caption(labels, 'en'),
                             captions_translated=template_caption(labels, lang)))
        with open(os.path.join(folder, f'captions_{lang}_{split}.json'), 'w', encoding='utf-8') as f:
            json.dump(rows, f, ensure_ascii=False, indent=0)
