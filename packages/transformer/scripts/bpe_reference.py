"""Byte-level BPE (GPT-2's algorithm) with the standard library only: the reference that
src/bpe/ (BpeTokenizer) is tested against.

    /usr/bin/python3 packages/transformer/scripts/bpe_reference.py              # writes src/bpe/fixtures/
    /usr/bin/python3 packages/transformer/scripts/bpe_reference.py --self-test  # asserts only
    /usr/bin/python3 packages/transformer/scripts/bpe_reference.py --corpus FILE --merges 400 --out DIR

As a module (another script trains the vocabulary of a small GPT-2 with it):

    import bpe_reference as bpe
    vocab, merges = bpe.train_bpe(text, 400)
    bpe.write_tokenizer('out/tok', vocab, merges)      # vocab.json, merges.txt, tokenizer.json
    ids = bpe.Encoder(vocab, merges).encode('Hello <|endoftext|>')

Pre-tokenization is GPT-2's pattern
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
as JavaScript's RegExp (u flag) matches it, written as a scanner because Debian's python3
has no `regex` module: \\p{L} / \\p{N} are the Unicode categories starting with 'L' / 'N'
(unicodedata), and \\s is JavaScript's \\s (JS_WHITESPACE below). That set differs from
Python's str.isspace() (which adds U+001C-U+001F and U+0085 and lacks U+FEFF), and the
`regex` module GPT-2 used may differ from it on such rare characters too; none of them is in
the test texts.
"""
import argparse
import heapq
import json
import os
import re
import sys
import unicodedata
from collections import Counter

END_OF_TEXT = '<|endoftext|>'
DEFAULT_MERGES = 400  # of the fixtures: 657 tokens from the built-in corpus
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
# JavaScript's \s: WhiteSpace and LineTerminator code points (ECMA-262, Unicode Zs included).
JS_WHITESPACE = frozenset(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, *range(0x2000, 0x200B),
     0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF])


def bytes_to_unicode():
    """GPT-2's byte alphabet: each byte -> one printable character. The 188 printable bytes
    ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves; the other 68, in byte
    order, become U+0100, U+0101, ... (so a space is 'Ġ' U+0120, a newline 'Ċ' U+010A)."""
    printable = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def _kind(ch):
    """'S' (JS \\s), 'L' (a letter), 'N' (a number) or 'O' (anything else)."""
    if ord(ch) in JS_WHITESPACE:
        return 'S'
    cat = unicodedata.category(ch)
    return cat[0] if cat[0] in 'LN' else 'O'


def _run_end(kinds, i, kind):
    while i < len(kinds) and kinds[i] == kind:
        i += 1
    return i


def _match_end(text, kinds, i):
    """End of the pattern's match at i: the first alternative that matches, as a
    backtracking regex engine tries them."""
    for c in CONTRACTIONS:
        if text.startswith(c, i):
            return i + len(c)
    n = len(text)
    for kind in 'LNO':  # ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
        j = i + 1 if text[i] == ' ' and i + 1 < n and kinds[i + 1] == kind else i
        if kinds[j] == kind:
            return _run_end(kinds, j, kind)
    end = _run_end(kinds, i, 'S')  # kinds[i] is 'S' here: every character has a kind
    # '\s+(?!\S)' takes the whole run at the end of the text, else backs off one character so
    # the last space can prefix the next word; a single space before text falls to '\s+'.
    if end == n or end - i == 1:
        return end
    return end - 1


def pretokenize(text):
    """GPT-2's pre-tokens of `text` (they concatenate back to `text`)."""
    kinds = [_kind(c) for c in text]
    out, i = [], 0
    while i < len(text):
        end = _match_end(text, kinds, i)
        out.append(text[i:end])
        i = end
    return out


def split_special(text, specials):
    """[(piece, is_special)]: each special token matched whole (the longest first where two
    start at the same place), the text between them as plain pieces."""
    if not specials:
        return [(text, False)] if text else []
    pattern = '(' + '|'.join(re.escape(s) for s in sorted(specials, key=len, reverse=True)) + ')'
    parts = re.split(pattern, text)
    # re.split with one group alternates plain, special, plain, ...
    return [(p, k % 2 == 1) for k, p in enumerate(parts) if p]


def byte_symbols(word):
    """The pre-token as byte-alphabet characters of its UTF-8 bytes."""
    return [BYTE_TO_CHAR[b] for b in word.encode('utf-8')]


def merge_pair(symbols, a, b):
    """Every occurrence of the pair (a, b), left to right, replaced by a + b."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def apply_merges(symbols, ranks):
    """GPT-2's bpe(): merge the adjacent pair of lowest rank (all its occurrences) until no
    adjacent pair has a rank."""
    while len(symbols) > 1:
        best = min(zip(symbols, symbols[1:]), key=lambda p: ranks.get(p, float('inf')))
        if best not in ranks:
            break
        symbols = merge_pair(symbols, *best)
    return symbols


def _word_counts(text):
    counts = Counter()
    for piece, special in split_special(text, [END_OF_TEXT]):
        if not special:
            counts.update(pretokenize(piece))
    return counts


def train_bpe(text, n_merges, min_count=2):
    """Learn up to `n_merges` merges on `text`; returns (vocab: token -> id, merges: [(a, b)]).

    Standard BPE over pre-tokenized words: count adjacent symbol pairs (weighted by word
    frequency, each occurrence counted), merge the most frequent pair everywhere, repeat.
    Ties go to the pair whose (first, second) strings sort first (Python's code-point
    order), so training is deterministic. Stops early when the best pair occurs fewer than
    `min_count` times. Ids: the 256 byte characters in byte order, then each merge's result
    in merge order (a result already in the vocabulary keeps its id), then <|endoftext|>.
    """
    words, freqs = [], []
    for w, f in sorted(_word_counts(text).items()):
        words.append(byte_symbols(w))
        freqs.append(f)
    counts, where = Counter(), {}

    def add_pairs(wi, sign):
        for p in zip(words[wi], words[wi][1:]):
            counts[p] += sign * freqs[wi]
            where.setdefault(p, set()).add(wi)
            touched.add(p)

    touched = set()
    for wi in range(len(words)):
        add_pairs(wi, 1)
    # A lazy max-heap: an entry is live while its count is the pair's current count.
    heap = [(-c, a, b) for (a, b), c in counts.items()]
    heapq.heapify(heap)
    merges, merged = [], set()
    while len(merges) < n_merges and heap:
        c, a, b = heapq.heappop(heap)
        if counts.get((a, b), 0) != -c or (a, b) in merged:
            continue  # a stale entry, or a pair formed again by a later merge (kept apart)
        if -c < min_count:
            break
        merges.append((a, b))
        merged.add((a, b))
        touched = set()
        for wi in sorted(where.pop((a, b))):
            add_pairs(wi, -1)
            words[wi] = merge_pair(words[wi], a, b)
            add_pairs(wi, 1)
        counts.pop((a, b), None)
        touched.discard((a, b))
        for p in sorted(touched):
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], *p))
    vocab = {BYTE_TO_CHAR[b]: b for b in range(256)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab[END_OF_TEXT] = len(vocab)
    return vocab, merges


class Encoder:
    """GPT-2's encoder over a vocabulary and merges: special tokens (by default <|endoftext|>
    when the vocabulary has it) matched whole first, then pre-tokens, bytes, merges."""

    def __init__(self, vocab, merges, special_tokens=None):
        self.vocab = dict(vocab)
        self.tokens = {i: t for t, i in self.vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        if special_tokens is None:
            special_tokens = [END_OF_TEXT] if END_OF_TEXT in self.vocab else []
        self.special = list(special_tokens)
        self.cache = {}

    def encode_word(self, word):
        if word not in self.cache:
            symbols = apply_merges(byte_symbols(word), self.ranks)
            self.cache[word] = [self.vocab[s] for s in symbols]
        return self.cache[word]

    def encode(self, text, allow_special=True):
        ids = []
        for piece, special in split_special(text, self.special if allow_special else []):
            if special:
                ids.append(self.vocab[piece])
            else:
                for word in pretokenize(piece):
                    ids.extend(self.encode_word(word))
        return ids

    def decode(self, ids):
        """The text of `ids`; invalid UTF-8 becomes U+FFFD (errors='replace', as GPT-2)."""
        out = bytearray()
        for i in ids:
            token = self.tokens[i]
            if token in self.special:
                out += token.encode('utf-8')
            else:
                out += bytes(CHAR_TO_BYTE[c] for c in token)
        return out.decode('utf-8', errors='replace')


def tokenizer_json(vocab, merges):
    """A Hugging Face tokenizer.json with the same tokenizer (GPT-2's layout)."""
    byte_level = {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True,
                  'use_regex': True}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': vocab[END_OF_TEXT], 'content': END_OF_TEXT, 'single_word': False,
                          'lstrip': False, 'rstrip': False, 'normalized': True, 'special': True}],
        'normalizer': None, 'pre_tokenizer': byte_level, 'post_processor': byte_level,
        'decoder': byte_level,
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None,
                  'continuing_subword_prefix': '', 'end_of_word_suffix': '', 'fuse_unk': False,
                  'byte_fallback': False, 'ignore_merges': False, 'vocab': vocab,
                  'merges': [[a, b] for a, b in merges]},
    }


def write_tokenizer(directory, vocab, merges):
    """vocab.json (token -> id, in id order), merges.txt ('#version: 0.2', then 'a b' per
    line in rank order) and tokenizer.json into `directory`."""
    os.makedirs(directory, exist_ok=True)
    ordered = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    with open(os.path.join(directory, 'vocab.json'), 'w', encoding='utf-8') as f:
        json.dump(ordered, f, ensure_ascii=False, separators=(',', ':'))
    with open(os.path.join(directory, 'merges.txt'), 'w', encoding='utf-8') as f:
        f.write('#version: 0.2\n' + ''.join(f'{a} {b}\n' for a, b in merges))
    with open(os.path.join(directory, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(tokenizer_json(ordered, merges), f, ensure_ascii=False, indent=1)


def fixture_encodings(vocab, merges):
    """encodings.json: each test text's pre-tokens and ids (special tokens matched or not)
    and the text of some invalid UTF-8 byte sequences."""
    from bpe_reference_texts import DECODE_BYTES, TEST_TEXTS
    enc = Encoder(vocab, merges)
    cases = []
    for name, text in TEST_TEXTS:
        cases.append({'name': name, 'text': text, 'pretokens': pretokenize(text),
                      'ids': enc.encode(text), 'ids_no_special': enc.encode(text, False)})
    decode = []
    for raw in DECODE_BYTES:
        ids = [vocab[BYTE_TO_CHAR[b]] for b in raw]
        decode.append({'bytes': list(raw), 'ids': ids, 'text': enc.decode(ids)})
    return {'written_by': 'packages/transformer/scripts/bpe_reference.py (do not edit)',
            'js_whitespace': sorted(JS_WHITESPACE), 'cases': cases, 'decode': decode}


def _one_entry_a_line(obj):
    """JSON with each top-level list item on a line of its own (short, readable diffs)."""
    def dump(v):
        return json.dumps(v, ensure_ascii=False)
    fields = []
    for k, v in obj.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            v = '[\n  ' + ',\n  '.join(dump(x) for x in v) + '\n ]'
        else:
            v = dump(v)
        fields.append(f' {dump(k)}: {v}')
    return '{\n' + ',\n'.join(fields) + '\n}\n'


def write_fixtures(directory, corpus, n_merges, quiet=False):
    from bpe_reference_texts import TEST_TEXTS
    vocab, merges = train_bpe(corpus, n_merges)
    write_tokenizer(directory, vocab, merges)
    with open(os.path.join(directory, 'encodings.json'), 'w', encoding='utf-8') as f:
        f.write(_one_entry_a_line(fixture_encodings(vocab, merges)))
    if not quiet:
        print(f'{directory}: {len(vocab)} tokens, {len(merges)} merges, {len(TEST_TEXTS)} texts')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--self-test', action='store_true', help='run the asserts and exit')
    ap.add_argument('--corpus', help='UTF-8 training text (default: the built-in corpus)')
    ap.add_argument('--merges', type=int, default=DEFAULT_MERGES)
    ap.add_argument('--out', default=os.path.join(here, '..', 'src', 'bpe', 'fixtures'))
    args = ap.parse_args()
    if args.self_test:
        from bpe_reference_selftest import run_self_test
        run_self_test()
        return
    from bpe_reference_texts import CORPUS
    corpus = CORPUS
    if args.corpus:
        with open(args.corpus, encoding='utf-8') as f:
            corpus = f.read()
    write_fixtures(os.path.normpath(args.out), corpus, args.merges)


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
