"""Seeded sentence generator for the TTS training data (no downloads).

Templates over small word lists give statements, questions, exclamations,
numbers and clause breaks, 3 to ~14 words, so the phoneme inventory of
espeak-ng's en-us voice is well covered while every clip stays short.
"""

import random

NAMES = ['Anna', 'Peter', 'Maria', 'John', 'Lucy', 'David', 'Emma', 'Oscar', 'Nora', 'Victor',
         'Julia', 'Thomas', 'Sophie', 'George', 'Helen', 'Martin', 'Olivia', 'Frank', 'Grace', 'Leo']
ADJ = ['red', 'quiet', 'heavy', 'bright', 'old', 'young', 'strange', 'small', 'huge', 'gentle',
       'cold', 'warm', 'yellow', 'famous', 'hungry', 'sleepy', 'clever', 'broken', 'shiny', 'wooden',
       'purple', 'tired', 'happy', 'angry', 'careful', 'noisy', 'smooth', 'rough', 'empty', 'golden']
NOUN = ['cat', 'dog', 'teacher', 'river', 'window', 'garden', 'engine', 'bicycle', 'mountain',
        'letter', 'kitchen', 'doctor', 'bridge', 'forest', 'machine', 'orange', 'pencil', 'village',
        'ship', 'bird', 'horse', 'clock', 'table', 'student', 'island', 'camera', 'rabbit', 'castle',
        'sandwich', 'jacket', 'farmer', 'pilot', 'violin', 'umbrella', 'station', 'shadow', 'thunder',
        'cheese', 'judge', 'treasure', 'vision', 'measure', 'zebra', 'yacht', 'thought', 'voice']
VERB_T = ['found', 'painted', 'watched', 'carried', 'opened', 'bought', 'cleaned', 'followed',
          'fixed', 'pushed', 'visited', 'thanked', 'chased', 'measured', 'judged', 'borrowed',
          'washed', 'sketched', 'lifted', 'breathed on', 'pulled', 'answered', 'joined', 'closed']
VERB_I = ['laughed', 'slept', 'waited', 'arrived', 'disappeared', 'sang', 'smiled', 'shivered',
          'whispered', 'jumped', 'stayed home', 'worked late', 'fell asleep', 'ran away', 'agreed']
ADV = ['quickly', 'slowly', 'quietly', 'suddenly', 'happily', 'carefully', 'rarely', 'always',
       'never', 'again', 'yesterday', 'today', 'tomorrow', 'early', 'twice']
PLACE = ['in the kitchen', 'near the bridge', 'under the table', 'behind the castle',
         'at the station', 'by the river', 'on the island', 'through the forest',
         'across the village', 'inside the machine', 'above the mountain', 'at the zoo']
TIME = ['at noon', 'on Monday', 'in the evening', 'last winter', 'every morning',
        'after lunch', 'before dawn', 'on Friday night', 'in June', 'at midnight']
WH = ['Why', 'Where', 'When', 'How', 'What']
NUM = ['two', 'three', 'seven', 'twelve', 'fifteen', 'forty', 'a hundred', 'ninety nine',
       '3', '8', '21', '64', '250', '1999']
EXCL = ['Oh no', 'Wow', 'Look out', 'Well', 'Hey', 'Great', 'Yes', 'Of course']


def _np(r: random.Random) -> str:
    if r.random() < 0.3:
        return r.choice(NAMES)
    det = r.choice(['the', 'a', 'my', 'his', 'her', 'that', 'this', 'our'])
    if det == 'a' and r.random() < 0.5:
        det = 'a'
    adj = r.choice(ADJ) + ' ' if r.random() < 0.6 else ''
    phrase = f'{det} {adj}{r.choice(NOUN)}'
    return phrase.replace('a a', 'an a').replace('a o', 'an o').replace('a e', 'an e') \
        .replace('a u', 'an u').replace('a i', 'an i')


def sentence(r: random.Random) -> str:
    k = r.randrange(8)
    if k == 0:
        s = f'{_np(r)} {r.choice(VERB_T)} {_np(r)} {r.choice(PLACE)}.'
    elif k == 1:
        s = f'{_np(r)} {r.choice(VERB_I)} {r.choice(ADV)}.'
    elif k == 2:
        s = f'{r.choice(WH)} did {_np(r)} {r.choice(VERB_T).split()[0].rstrip("ed")} {_np(r)}?'
    elif k == 3:
        s = f'{r.choice(EXCL)}, {_np(r)} {r.choice(VERB_I)} {r.choice(TIME)}!'
    elif k == 4:
        s = f'{_np(r)} has {r.choice(NUM)} {r.choice(ADJ)} {r.choice(NOUN)}s.'
    elif k == 5:
        s = f'{r.choice(TIME).capitalize()}, {_np(r)} {r.choice(VERB_T)} {_np(r)}.'
    elif k == 6:
        s = f'Is {_np(r)} {r.choice(ADJ)} {r.choice(PLACE)}?'
    else:
        s = f'{_np(r)} {r.choice(VERB_I)}, and {_np(r)} {r.choice(VERB_T)} {_np(r)}.'
    return s[0].upper() + s[1:]


def sentences(n: int, seed: int) -> list:
    r = random.Random(seed)
    seen, out = set(), []
    while len(out) < n:
        s = sentence(r)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


if __name__ == '__main__':
    for s in sentences(20, 0):
        print(s)
