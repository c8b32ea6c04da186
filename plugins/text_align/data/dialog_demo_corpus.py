"""A generated multi-domain task-oriented dialog corpus (templated, MultiWOZ-like) for the SPACE-2 demo and tests.

Five domains plus ``general``, 11 intents and 14 slots; every user turn carries its semantic tree, slot spans and the
dialog state, and in the pre-training split only a share of the user turns keeps its labels (the rest is unlabelled
text, as SPACE-2's AnPreDial vs UnPreDial). Nothing is downloaded.
"""
import random
from typing import Dict, List, Sequence, Tuple

VALUES = {
    'food': ['italian', 'chinese', 'indian', 'thai', 'french', 'mexican', 'korean', 'greek', 'turkish', 'spanish'],
    'area': ['north', 'south', 'east', 'west', 'centre'],
    'price': ['cheap', 'moderate', 'expensive'],
    'people': ['two', 'three', 'four', 'five', 'six', 'seven'],
    'day': ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
    'time': ['18:00', '19:30', '12:15', '20:45', '17:00', '13:30'],
    'stars': ['two star', 'three star', 'four star', 'five star'],
    'nights': ['one night', 'two nights', 'three nights', 'four nights'],
    'departure': ['cambridge', 'london', 'ely', 'norwich', 'stevenage', 'peterborough', 'leicester', 'bishops stortford'],
    'destination': ['cambridge', 'london', 'ely', 'norwich', 'stevenage', 'peterborough', 'leicester', 'kings lynn'],
    'type': ['museum', 'park', 'theatre', 'college', 'gallery', 'swimming pool'],
}

# intent -> (domain, templates); {slot} marks a value
INTENTS: Dict[str, Tuple[str, List[str]]] = {
    'find_restaurant': ('restaurant', [
        'i am looking for a {price} {food} restaurant in the {area}', 'is there somewhere to eat {food} food',
        'can you find me a place that serves {food} food in the {area} of town', 'i want a {price} place to eat',
        'any good {food} restaurants around the {area}', 'where can we have dinner, something {price}']),
    'book_restaurant': ('restaurant', [
        'please reserve a table for {people} on {day} at {time}', 'book it for {people} people at {time}',
        'can i get a table for {people} at {time} on {day}', 'we would like to eat there on {day} at {time}',
        'make a reservation for {people}, {day} please', 'i need a table at {time}']),
    'find_hotel': ('hotel', [
        'i need a {price} hotel in the {area}', 'looking for a {stars} place to stay', 'is there a {stars} hotel',
        'find me somewhere to sleep in the {area}, {price} if possible', 'i want to stay in a {price} guesthouse',
        'any hotels in the {area} with {stars} rating']),
    'book_hotel': ('hotel', [
        'book a room for {people} people for {nights} from {day}', 'i want to stay {nights} starting {day}',
        'reserve it for {people} guests, {nights}', 'can you book the room for {nights}',
        'we will arrive on {day} and stay {nights}', 'please book it for {people} from {day}']),
    'book_taxi': ('taxi', [
        'i need a taxi from {departure} to {destination}', 'book a cab to {destination} leaving at {time}',
        'get me a car from {departure} at {time}', 'can you send a taxi to take me to {destination}',
        'i want to be picked up at {departure} at {time}', 'a taxi at {time} please, going to {destination}']),
    'find_train': ('train', [
        'i am looking for a train from {departure} to {destination}', 'are there trains to {destination} on {day}',
        'i need to travel from {departure} on {day}', 'which trains leave {departure} for {destination}',
        'find me a train going to {destination}', 'is there a train on {day} from {departure}']),
    'book_train': ('train', [
        'book {people} tickets on that train', 'i need {people} seats please', 'reserve the train for {people} people',
        'get me {people} tickets', 'can you book it for {people}', 'yes, {people} tickets on that one']),
    'find_attraction': ('attraction', [
        'is there a {type} in the {area}', 'i want to visit a {type}', 'what {type} can i see in the {area}',
        'recommend a {type} to visit', 'any interesting {type} around the {area} of town',
        'we would like to go to a {type}']),
    'greet': ('general', ['hello', 'hi there', 'good morning', 'hi, i need some help', 'hello, can you help me',
                          'hey']),
    'thank': ('general', ['thank you', 'thanks a lot', 'great, thanks', 'that is all i need, thanks',
                          'thank you very much', 'perfect, thank you']),
    'bye': ('general', ['goodbye', 'bye', 'see you', 'that is everything, bye', 'have a nice day, goodbye',
                        'ok, bye now']),
}
PREFIXES = ['', '', 'ok, ', 'well, ', 'alright, ', 'so ', 'yes, ', 'hmm, ']
SYSTEM = {'restaurant': ['there are several restaurants matching that', 'i found a nice place for you'],
          'hotel': ['i have a few hotels that fit', 'the alpha guest house is available'],
          'taxi': ['your taxi is booked, a red car will come', 'a cab is on its way'],
          'train': ['there are trains every hour', 'the train leaves at 09:11'],
          'attraction': ['there are some in that area', 'i recommend the one in the centre'],
          'general': ['how can i help you', 'you are welcome, goodbye']}
FLOWS = [('find_restaurant', 'book_restaurant'), ('find_hotel', 'book_hotel'), ('find_train', 'book_train'),
         ('book_taxi', ), ('find_attraction', ), ('find_restaurant', ), ('find_hotel', )]


def user_turn(intent: str, rng: random.Random) -> Dict[str, object]:
    """One user turn of ``intent``: text, flat labels with character spans, and the slots it informs."""
    domain, templates = INTENTS[intent]
    template = rng.choice(templates)
    text, slots, rest = rng.choice(PREFIXES), [], template
    while '{' in rest:
        before, after = rest.split('{', 1)
        slot, rest = after.split('}', 1)
        value = rng.choice(VALUES[slot])
        text += before
        slots.append(dict(slot=slot, value=value, start=len(text), end=len(text) + len(value)))
        text += value
    text += rest
    return dict(speaker='user', text=text, domain=domain, intent=intent, slots=slots)


def generate_dialogs(num_dialogs: int, seed: int, labelled_fraction: float = 1.0) -> List[Dict[str, object]]:
    """Dialogs in the JSONL dialog format (:mod:`.dialog_jsonl`).

    Args:
        num_dialogs: how many.
        seed: random seed.
        labelled_fraction: share of user turns that keep their labels (the others keep only text and speaker).

    Returns:
        The dialogs (``dialog_id``, ``turns``); user turns carry ``domain`` / ``intent`` / ``slots`` / ``state`` when
        labelled, and every user turn keeps its gold intent under ``gold_intent`` (for evaluation only).
    """
    rng = random.Random(seed)
    dialogs = []
    for n in range(num_dialogs):
        intents: List[str] = ['greet'] if rng.random() < 0.5 else []
        for flow in rng.sample(FLOWS, rng.choice([1, 2])):
            intents += list(flow)
        intents.append(rng.choice(['thank', 'bye']))
        turns, state = [], {}
        for intent in intents:
            turn = user_turn(intent, rng)
            domain = turn['domain']
            state.update({f'{domain}-{s["slot"]}': s['value'] for s in turn['slots']})
            turn['state'] = dict(state)
            turn['gold_intent'] = intent
            if rng.random() >= labelled_fraction:
                turn = dict(speaker='user', text=turn['text'], gold_intent=intent)
            turns += [turn, dict(speaker='system', text=rng.choice(SYSTEM[domain]))]
        dialogs.append(dict(dialog_id=f'demo-{seed}-{n}', turns=turns))
    return dialogs


def labelled_user_turns(dialogs: Sequence[Dict[str, object]]) -> List[Dict[str, object]]:
    """Every labelled user turn of ``dialogs`` (each a turn dict of the format above)."""
    return [t for d in dialogs for t in d['turns'] if t.get('speaker') == 'user' and t.get('intent')]
