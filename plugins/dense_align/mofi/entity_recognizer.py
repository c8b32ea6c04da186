"""Entity mentions in alt-text, linked to vocabulary ids: a plain normalised-name matcher, or spaCy's EntityRuler
built from the same vocabulary (spaCy: the ``optional`` extra)."""
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
    """spaCy's ``EntityRuler`` with phrase patterns for every name and alias (``LOWER`` attribute: case-insensitive;
    each also in its accent- and punctuation-folded form when that differs), the entity id as the pattern id, on a
    blank English pipeline (offline) or on an installed pipeline. The ruler runs before the pipeline's ``ner``; the
    pipeline's own entities that the ruler did not match are linked to ids by normalised-name lookup
    (:func:`normalise_name`) and dropped when no name or alias matches.

    Unlike :class:`NameMatcher`, spaCy matches token sequences: text with accents does not match an unaccented
    name, and a name split by punctuation in the text (``EIFFEL-tower``) is not matched.

    Args:
        entities: the vocabulary (checked: unique ids, no name on two ids).
        pipeline: name of (or path to) an installed spaCy pipeline (e.g. ``'en_core_web_sm'``), or None for
            ``spacy.blank('en')``.

    Raises:
        ImportError: spaCy is not installed.
        ValueError: ``pipeline`` is not an installed pipeline or a pipeline folder.
    """

    def __init__(self, entities: Sequence[Entity], pipeline: Optional[str] = None) -> None:
        try:
            import spacy
        except ImportError as err:
            raise ImportError('SpacyEntityRuler needs spaCy (pip install spacy, or the "optional" extra); use the '
                              '"names" recogniser otherwise') from err
        self.names: Dict[str, EntityId] = check_entities(entities)
        if pipeline:
            try:
                self.nlp = spacy.load(pipeline)
            except OSError as err:
                raise ValueError(f'spaCy pipeline {pipeline!r} (--spacy-pipeline) is neither an installed spaCy '
                                 f'pipeline package nor a pipeline folder; install it (python -m spacy download '
                                 f'{pipeline}) or leave it unset for a blank English pipeline') from err
        else:
            self.nlp = spacy.blank('en')
        before = 'ner' if 'ner' in self.nlp.pipe_names else None
        ruler = self.nlp.add_pipe('entity_ruler', name='i2e_entity_ruler', before=before,
                                  config=dict(phrase_matcher_attr='LOWER'))
        patterns = []
        for e in entities:
            for name in [e.name] + list(e.aliases):
                for form in dict.fromkeys([name, normalise_name(name)]):
                    patterns.append(dict(label='ENTITY', pattern=form, id=str(e.id)))
        ruler.add_patterns(patterns)
        self.ids = {str(e.id): e.id for e in entities}

    def __call__(self, text: str) -> List[Mention]:
        """Args:
            text: an alt-text.

        Returns:
            ``(entity id, mention text)`` per ruler match or linked pipeline entity, in text order.
        """
        mentions = []
        for ent in self.nlp(text).ents:
            if ent.ent_id_ in self.ids:
                mentions.append((self.ids[ent.ent_id_], ent.text))
            elif normalise_name(ent.text) in self.names:
                mentions.append((self.names[normalise_name(ent.text)], ent.text))
        return mentions


def build_recognizer(kind: str, entities: Sequence[Entity], pipeline: Optional[str] = None):
    """``'names'`` -> :class:`NameMatcher`; ``'spacy'`` -> :class:`SpacyEntityRuler`."""
    if kind == 'names':
        return NameMatcher(entities)
    if kind == 'spacy':
        return SpacyEntityRuler(entities, pipeline)
    raise ValueError(f"recognizer must be 'names' or 'spacy', got {kind!r}")
