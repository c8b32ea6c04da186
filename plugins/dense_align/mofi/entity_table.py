"""The entity vocabulary / entity table of I2E: one JSON object per line with ``id``, ``name`` and optionally
``description``, ``aliases`` and ``count``; the line order is the class index."""
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Union

EntityId = Union[str, int]


def normalise_name(name: str) -> str:
    """Case- and accent-folded name with punctuation turned into single spaces (the matcher's key)."""
    text = unicodedata.normalize('NFKD', name)
    text = ''.join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return ' '.join(re.sub(r'[^\w]+', ' ', text).split())


@dataclass
class Entity:
    """One entity of the vocabulary.

    Args:
        id: its identifier in the source vocabulary (e.g. a Wikidata id).
        name: its canonical name (the text of the contrastive head).
        description: optional description (appended to the name as text).
        aliases: other names that mention it.
        count: number of labelled images (entity tables written by I2E).
    """
    id: EntityId
    name: str
    description: Optional[str] = None
    aliases: List[str] = field(default_factory=list)
    count: Optional[int] = None


def read_entity_table(path: str) -> List[Entity]:
    """Read and validate an entity file.

    Args:
        path: JSONL file, one entity per line.

    Returns:
        The entities in file order (class index = position).

    Raises:
        ValueError: a malformed line, a duplicate id, or a name / alias that maps to two ids (naming both).
    """
    entities = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{number}: not a JSON object ({err.msg})') from None
            if not isinstance(record, dict) or 'id' not in record or not isinstance(record.get('name'), str):
                raise ValueError(f'{path}:{number}: an entity needs "id" and a string "name", got {line.strip()!r}')
            entities.append(Entity(record['id'], record['name'], record.get('description'),
                                   list(record.get('aliases', [])), record.get('count')))
    if not entities:
        raise ValueError(f'{path}: the entity file is empty')
    check_entities(entities, path)
    return entities


def check_entities(entities: Sequence[Entity], source: str = 'entities') -> Dict[str, EntityId]:
    """Check that ids are unique and that no (normalised) name or alias belongs to two ids.

    Args:
        entities: the vocabulary.
        source: file name for the error messages.

    Returns:
        Normalised name/alias -> entity id.
    """
    seen_ids: Dict[EntityId, int] = {}
    names: Dict[str, EntityId] = {}
    for index, entity in enumerate(entities):
        if entity.id in seen_ids:
            raise ValueError(f'{source}: duplicate entity id {entity.id!r} (entries {seen_ids[entity.id]} and '
                             f'{index})')
        seen_ids[entity.id] = index
        for name in [entity.name] + entity.aliases:
            key = normalise_name(name)
            if not key:
                raise ValueError(f'{source}: entity {entity.id!r} has an empty name or alias {name!r}')
            if key in names and names[key] != entity.id:
                raise ValueError(f'{source}: the name {name!r} maps to two ids, {names[key]!r} and {entity.id!r}')
            names[key] = entity.id
    return names


def write_entity_table(path: str, entities: Sequence[Entity]) -> None:
    """Write entities as JSONL (``aliases`` left out when empty, ``description``/``count`` when None)."""
    with open(path, 'w', encoding='utf-8') as f:
        for entity in entities:
            record = {k: v for k, v in asdict(entity).items() if v not in (None, [])}
            f.write(json.dumps(record, ensure_ascii=False) + '\n')


def entity_text(entity: Entity, with_description: bool = True, template: str = '{name}. {description}') -> str:
    """The text of an entity for the contrastive head: its name, or ``template`` with the description when it has
    one (the paper enriches names with descriptions; its format is not stated)."""
    if with_description and entity.description:
        return template.format(name=entity.name, description=entity.description)
    return entity.name
