"""The asserts of `bpe_reference.py --self-test`: GPT-2's byte alphabet and pattern on
hand-worked examples, merges in rank order, the trainer against a recount-every-round
oracle, decode(encode(text)) == text on varied text, and src/bpe/fixtures/ as the script
writes it now."""
import os
import random
import tempfile
from collections import Counter

from bpe_reference import (BYTE_TO_CHAR, DEFAULT_MERGES, END_OF_TEXT, Encoder, _word_counts,
                           apply_merges, byte_symbols, merge_pair, pretokenize, split_special,
                           train_bpe, write_fixtures)
from bpe_reference_texts import CORPUS, TEST_TEXTS


def _naive_train(text, n_merges, min_count=2):
    """train_bpe's merges by recounting every pair each round (the self-test's oracle)."""
    counts = _word_counts(text)
    words = {w: byte_symbols(w) for w in counts}
    merges = []
    while len(merges) < n_merges:
        pairs = Counter()
        for w, symbols in words.items():
            for p in zip(symbols, symbols[1:]):
                pairs[p] += counts[w]
        for p in merges:
            pairs.pop(p, None)
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < min_count:
            break
        merges.append(best)
        words = {w: merge_pair(s, *best) for w, s in words.items()}
    return merges


def run_self_test():
    assert len(set(BYTE_TO_CHAR.values())) == 256
    assert sum(BYTE_TO_CHAR[b] == chr(b) for b in range(256)) == 188
    assert (BYTE_TO_CHAR[0x20], BYTE_TO_CHAR[0x0A], BYTE_TO_CHAR[0x00], BYTE_TO_CHAR[0xAD]) == (
        '\u0120', '\u010a', '\u0100', '\u0143')
    for text, want in [
        ('Hello world', ['Hello', ' world']),
        ("I'm  here's 42!!\n\n x", ['I', "'m", ' ', ' here', "'s", ' 42', '!!', '\n\n', ' x']),
        ('a   ', ['a', '   ']), ('x\ty', ['x', '\t', 'y']), (' \u00a0b', [' ', '\u00a0', 'b']),
        ("don't DON'T", ['don', "'t", ' DON', "'", 'T']), ('3.14', ['3', '.', '14']),
        ("''s", ["''", 's']), ('a \n b', ['a', ' \n', ' b']), ('Größe 42€', ['Größe', ' 42', '€']),
    ]:
        assert pretokenize(text) == want, (text, pretokenize(text))
    assert split_special('a<|endoftext|>b<|x', [END_OF_TEXT]) == [
        ('a', False), (END_OF_TEXT, True), ('b<|x', False)]
    assert split_special('<ab>', ['<a', '<ab>']) == [('<ab>', True)]
    for ranks, word, want in [
        ({('a', 'b'): 0, ('b', 'c'): 1, ('ab', 'c'): 2}, 'abc', ['abc']),
        ({('b', 'c'): 0, ('a', 'b'): 1}, 'abc', ['a', 'bc']),  # (a, b) no longer adjacent
        ({('b', 'c'): 0, ('a', 'b'): 1, ('a', 'bc'): 2}, 'abc', ['abc']),
        ({('c', 'd'): 0, ('a', 'b'): 1}, 'abcd', ['ab', 'cd']),
        ({('a', 'a'): 0}, 'aaa', ['aa', 'a']),  # left to right, no overlaps
        ({('a', 'a'): 0, ('aa', 'aa'): 1}, 'aaaa', ['aaaa']),
        ({('a', 'b'): 1, ('b', 'a'): 0}, 'aba', ['a', 'ba']),  # rank, not position, decides
    ]:
        assert apply_merges(list(word), ranks) == want, (word, ranks)
    vocab, merges = train_bpe('ab ab ab cd', 10)
    assert merges == [('a', 'b'), ('\u0120', 'ab')], merges
    assert (vocab['ab'], vocab['\u0120ab'], vocab[END_OF_TEXT], len(vocab)) == (256, 257, 258, 259)
    enc = Encoder(vocab, merges)
    assert enc.encode('ab ab') == [256, 257] and enc.encode(END_OF_TEXT + 'a') == [258, 97]
    assert enc.encode(END_OF_TEXT, allow_special=False) == [vocab[c] for c in END_OF_TEXT]
    assert enc.decode([0xFF, 97, 0xE4, 0xB8]) == '\ufffda\ufffd'
    assert train_bpe('abab cdcd', 10)[1] == [('a', 'b'), ('c', 'd')]  # a tie: (a, b) sorts first
    vocab, merges = train_bpe(CORPUS, 1000)  # runs out of pairs seen twice before 1,000
    assert merges == _naive_train(CORPUS, 1000), 'the incremental trainer differs from recounting'
    assert len(set(vocab.values())) == len(vocab) == max(vocab.values()) + 1
    enc = Encoder(vocab, merges)
    rng = random.Random(0)
    alphabet = [chr(c) for c in range(0x20000) if not 0xD800 <= c < 0xE000]
    samples = [t for _, t in TEST_TEXTS] + [CORPUS] + [
        ''.join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))) for _ in range(200)]
    for text in samples:
        ids = enc.encode(text)
        assert enc.decode(ids) == text, text
        assert ''.join(pretokenize(text)) == text
    assert len(enc.encode(CORPUS)) < 0.5 * len(CORPUS.encode('utf-8'))
    _check_fixtures()
    print('bpe_reference self-test: ok')


def _check_fixtures():
    """The committed fixtures are what the script writes now (none edited by hand or stale)."""
    committed = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'bpe', 'fixtures')
    with tempfile.TemporaryDirectory() as fresh:
        write_fixtures(fresh, CORPUS, DEFAULT_MERGES, quiet=True)
        for name in sorted(os.listdir(fresh)):
            with open(os.path.join(fresh, name), 'rb') as a, open(os.path.join(committed, name), 'rb') as b:
                assert a.read() == b.read(), f'src/bpe/fixtures/{name} is stale: rerun bpe_reference.py'
