"""Entity mentions in alt-text, linked to vocabulary ids: a plain normalised-name matcher, or spaCy's EntityRuler
built from the same vocabulary (when spaCy is installed)."""
from typing import Dict, List, Optional, Sequence, Tuple

from .entity_table import Entity, EntityId, check_entities, normalise_name

Mention = Tuple[EntityId, str]


class NameMatcher:
    """Finds vocabulary names and aliases in text after :func:`normalise_name` (case, accents and punctuation
    folded), longest match first, mentions not overlapping, whole words only.

    Args:
        entities: the vocabulary (checked: unique ids, no name on two ids).
    """

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.names: Dict[str, EntityId] = check_entities(entities)
        self.max_words = max(len(name.split()) for name in self.names)

    def __call__(self, text: str) -> List[Mention]:
        """Args:
            text: an alt-text.

        Returns:
            ``(entity id, matched normalised text)`` per mention, in text order.
        """
        words = normalise_name(text).split()
        mentions, i = [], 0
        while i < len(words):
            for n in range(min(self.max_words, len(words) - i), 0, -1):
                span = ' '.join(words[i:i + n])
                if span in self.names:
                    mentions.append((self.names[span], span))
                    i += n
                    break
            else:
                i += 1
        return mentions


class SpacyEntityRuler:
    """spaCy's ``EntityRuler`` with one phrase pattern per name and alias (``LOWER`` attribute: case-insensitive),
    the entity id as the pattern id; on a blank English pipeline (offline) or on an installed pipeline, whose own
    entities are then left out unless the ruler matched them.

    Args:
        entities: the vocabulary.
        pipeline: name of an installed spaCy pipeline (e.g. ``'en_core_web_sm'``), or None for ``spacy.blank('en')``.
    """

    def __init__(self, entities: Sequence[Entity], pipeline: Optional[str] = None) -> None:
        try:
            import spacy
        except ImportError as err:
            raise ImportError('SpacyEntityRuler needs spaCy (pip install spacy); use the "names" recogniser '
                              'otherwise') from err
        check_entities(entities)
        self.nlp = spacy.load(pipeline) if pipeline else spacy.blank('en')
        before = 'ner' if 'ner' in self.nlp.pipe_names else None
        ruler = self.nlp.add_pipe('entity_ruler', before=before, config=dict(phrase_matcher_attr='LOWER'))
        ruler.add_patterns([dict(label='ENTITY', pattern=name, id=str(e.id))
                            for e in entities for name in [e.name] + e.aliases])
        self.ids = {str(e.id): e.id for e in entities}

    def __call__(self, text: str) -> List[Mention]:
        """Args:
            text: an alt-text.

        Returns:
            ``(entity id, mention text)`` per ruler match, in text order.
        """
        doc = self.nlp(text)
        return [(self.ids[ent.ent_id_], ent.text) for ent in doc.ents if ent.ent_id_ in self.ids]


def build_recognizer(kind: str, entities: Sequence[Entity], pipeline: Optional[str] = None):
    """``'names'`` -> :class:`NameMatcher`; ``'spacy'`` -> :class:`SpacyEntityRuler`."""
    if kind == 'names':
        return NameMatcher(entities)
    if kind == 'spacy':
        return SpacyEntityRuler(entities, pipeline)
    raise ValueError(f"recognizer must be 'names' or 'spacy', got {kind!r}")
