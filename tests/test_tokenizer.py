"""The byte-pair-encoding tokenizer of §3.2 (lbdl_book.tokenizer).

There is no reference BPE in the environment to compare with, so the tests check the
algorithm against a second, deliberately naive implementation written here from the
description in Sennrich et al. (strings instead of ids, a full recount after every
merge), against the "lowest-rank pair first" encoder used by GPT-2-style tokenizers,
and against small examples worked out by hand.
"""

import random
from collections import Counter

import pytest
import torch

from lbdl_book.data.text import chinese_text, english_text, text
from lbdl_book.tokenizer import BPETokenizer, merge_pair

TEXTS = {"en": english_text(), "zh": chinese_text()}


def reference_merges(text_, vocab_size):
    """BPE on lists of strings: the learned merges as (left string, right string)."""
    alphabet = sorted(set(text_))
    ids = {c: i for i, c in enumerate(alphabet)}          # string -> id, for the tie-break
    pieces = list(text_)
    merges = []
    while len(ids) < vocab_size:
        counts = Counter(zip(pieces, pieces[1:]))
        if not counts:
            break
        best = max(counts.values())
        if best < 2:
            break
        left, right = min((p for p in counts if counts[p] == best), key=lambda p: (ids[p[0]], ids[p[1]]))
        merged, i = [], 0
        while i < len(pieces):
            if i + 1 < len(pieces) and pieces[i] == left and pieces[i + 1] == right:
                merged.append(left + right)
                i += 2
            else:
                merged.append(pieces[i])
                i += 1
        pieces = merged
        merges.append((left, right))
        ids.setdefault(left + right, len(ids))
    return merges, pieces


def lowest_rank_first(tokenizer, text_):
    """The other classic encoder: merge the learned pair of lowest rank, until none is left."""
    rank = {pair: r for r, pair in enumerate(tokenizer.merges)}
    ids = [tokenizer.alphabet.index(c) for c in text_]
    while len(ids) > 1:
        present = [pair for pair in zip(ids, ids[1:]) if pair in rank]
        if not present:
            break
        pair = min(present, key=rank.__getitem__)
        ids = merge_pair(ids, pair, len(tokenizer.alphabet) + rank[pair])
    return ids


# --- worked examples -------------------------------------------------------------------

def test_abracadabra_by_hand():
    tok = BPETokenizer.train("abracadabra", vocab_size=100)
    assert tok.alphabet == ("a", "b", "c", "d", "r")
    # ab, br, ra occur twice: the tie goes to the smallest ids, (a, b); then (r, a) = (4, 0)
    # beats (ab, r) = (5, 4); then (ab, ra) occurs twice; then no pair occurs twice.
    assert tok.merges == [(0, 1), (4, 0), (5, 6)]
    assert [tok.vocab[i] for i in range(5, 8)] == ["ab", "ra", "abra"]
    assert tok.encode("abracadabra") == [7, 2, 0, 3, 7]
    assert tok.segment("abracadabra") == ["abra", "c", "a", "d", "abra"]
    assert len(tok) == 8 and repr(tok) == "BPETokenizer(5 characters + 3 merges = 8 tokens)"


def test_overlapping_pairs_merge_left_to_right():
    assert merge_pair([0, 0, 0], (0, 0), 9) == [9, 0]
    assert merge_pair([0, 0, 0, 0], (0, 0), 9) == [9, 9]
    assert merge_pair([1, 0, 1, 0], (0, 1), 7) == [1, 7, 0]
    assert BPETokenizer.train("aaaa", vocab_size=10).segment("aaaa") == ["aa", "aa"]   # (aa, aa) occurs once
    tok = BPETokenizer.train("aaaaaaaa", vocab_size=3)                                  # a → aa → aaaa
    assert tok.segment("aaaa") == ["aaaa"] and tok.segment("aaaaa") == ["aaaa", "a"]


def test_vocab_size_counts_the_alphabet_and_training_can_stop_early():
    characters = BPETokenizer.train("hello world", vocab_size=8)   # 8 distinct characters
    assert characters.merges == [] and characters.encode("hello") == [3, 2, 4, 4, 5]
    assert BPETokenizer.train("abcd", vocab_size=50).merges == []    # no pair occurs twice
    assert len(BPETokenizer.train(TEXTS["en"], vocab_size=60)) == 60


# --- against the reference implementation ---------------------------------------------

@pytest.mark.parametrize(("language", "merges"), [("en", 10), ("en", 250), ("zh", 40), ("zh", 100)])
def test_training_matches_the_naive_reference(language, merges):
    text_ = TEXTS[language]
    vocab_size = len(set(text_)) + merges
    tok = BPETokenizer.train(text_, vocab_size)
    expected_merges, expected_pieces = reference_merges(text_, vocab_size)
    assert [(tok.vocab[a], tok.vocab[b]) for a, b in tok.merges] == expected_merges
    assert len(tok.merges) == merges
    # encoding the training text replays training: the same pieces, in the same order
    assert tok.segment(text_) == expected_pieces


@pytest.mark.parametrize("language", ["en", "zh"])
def test_encode_matches_lowest_rank_first_and_round_trips(language):
    text_ = TEXTS[language]
    tok = BPETokenizer.train(text_, len(set(text_)) + 100)
    rng = random.Random(0)
    alphabet = tok.alphabet
    samples = [text_[i:i + 80] for i in range(0, len(text_) - 80, 97)]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(40)]
    samples += ["", alphabet[0], alphabet[-1] * 7]
    for s in samples:
        ids = tok.encode(s)
        assert ids == lowest_rank_first(tok, s)
        assert tok.decode(ids) == s and "".join(tok.segment(s)) == s
        assert all(isinstance(i, int) and 0 <= i < len(tok) for i in ids)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_merges_compress_the_training_text(language):
    text_ = TEXTS[language]
    full = BPETokenizer.train(text_, len(set(text_)) + 100)
    lengths = [len(full.truncate(len(full.alphabet) + m).encode(text_)) for m in (0, 10, 50, 100)]
    assert lengths[0] == len(text_)
    assert lengths == sorted(lengths, reverse=True) and len(set(lengths)) == 4
    # each merge removes exactly (number of times it was applied) tokens; the first merge
    # is applied to at least 2 occurrences, hence the strict decrease above
    assert lengths[-1] < (0.55 if language == "en" else 0.8) * len(text_)


def test_truncate_is_training_with_a_smaller_vocabulary():
    text_ = TEXTS["en"]
    big = BPETokenizer.train(text_, len(set(text_)) + 120)
    for merges in (0, 1, 37, 120):
        small = BPETokenizer.train(text_, len(set(text_)) + merges)
        cut = big.truncate(len(big.alphabet) + merges)
        assert cut.merges == small.merges and cut.vocab == small.vocab and cut.alphabet == small.alphabet
    assert big.truncate(len(big)).merges == big.merges


def test_tokens_are_concatenations_and_vocab_is_consistent():
    tok = BPETokenizer.train(TEXTS["zh"], len(set(TEXTS["zh"])) + 100)
    assert set(tok.vocab) == set(range(len(tok)))
    for r, (a, b) in enumerate(tok.merges):
        new = len(tok.alphabet) + r
        assert a < new and b < new and tok.vocab[new] == tok.vocab[a] + tok.vocab[b]
    assert "模型" in tok.vocab.values()
    rebuilt = BPETokenizer(tok.alphabet, tok.merges)
    assert rebuilt.vocab == tok.vocab and rebuilt.encode(TEXTS["zh"]) == tok.encode(TEXTS["zh"])


def test_decode_accepts_integer_tensors():
    tok = BPETokenizer.train(TEXTS["en"], 80)
    ids = tok.encode("the model")
    assert tok.decode(torch.tensor(ids)) == "the model"
    assert tok.decode(torch.tensor(ids, dtype=torch.int32)) == "the model"
    assert tok.decode([]) == ""


def test_text_helper():
    assert text("en") == english_text() and text("zh") == chinese_text()
    assert 3000 < len(english_text().encode()) < 4200 and 3000 < len(chinese_text().encode()) < 4200
    assert english_text().count("\n\n") == chinese_text().count("\n\n") == 9
    with pytest.raises(ValueError, match="language must be 'en' or 'zh', got 'fr'"):
        text("fr")


# --- errors ------------------------------------------------------------------------------

def test_unknown_characters_are_refused_with_their_position():
    tok = BPETokenizer.train(TEXTS["en"], 100)
    with pytest.raises(ValueError, match=r"text contains 'ü' \(U\+00FC\) at position 5, which is not in the "
                                         r"tokenizer's alphabet of 43 characters"):
        tok.encode("the büro")
    with pytest.raises(ValueError, match="'模'"):
        tok.encode("the 模型")


def test_training_errors():
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        BPETokenizer.train(b"abc", 10)
    with pytest.raises(ValueError, match="text must not be empty"):
        BPETokenizer.train("", 10)
    with pytest.raises(ValueError, match=r"vocab_size must be an int >= 3 \(the number of distinct characters "
                                         r"in text\), got 2"):
        BPETokenizer.train("abcabc", 2)
    for bad in (3.0, True, "5"):
        with pytest.raises(ValueError, match="vocab_size must be an int >= 3"):
            BPETokenizer.train("abcabc", bad)


def test_decode_and_constructor_errors():
    tok = BPETokenizer.train("abcabc", 5)
    with pytest.raises(ValueError, match=r"ids must be in \[0, 5\), got 5 at position 1"):
        tok.decode([0, 5])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 5\), got -1 at position 0"):
        tok.decode([-1])
    with pytest.raises(TypeError, match="ids must be ints, got float at position 0"):
        tok.decode([1.0])
    with pytest.raises(TypeError, match="ids must be ints, got bool at position 0"):
        tok.decode([True])
    with pytest.raises(TypeError, match=r"ids must be a 1-D integer tensor, got torch.float32 of shape \(2,\)"):
        tok.decode(torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"ids must be a 1-D integer tensor, got torch.int64 of shape \(1, 2\)"):
        tok.decode(torch.tensor([[0, 1]]))
    with pytest.raises(TypeError, match="text must be a str, got list"):
        tok.encode(["a"])
    with pytest.raises(ValueError, match="alphabet must contain single characters, got 'ab'"):
        BPETokenizer(["ab", "c"])
    with pytest.raises(ValueError, match="alphabet must not repeat a character"):
        BPETokenizer(["a", "a"])
    with pytest.raises(ValueError, match=r"merge 1 must be a pair of existing ids in \[0, 3\), got \(0, 3\)"):
        BPETokenizer(["a", "b"], [(0, 1), (0, 3)])
    with pytest.raises(ValueError, match=r"vocab_size must be an int in \[3, 5\], got 6"):
        tok.truncate(6)
    with pytest.raises(ValueError, match=r"vocab_size must be an int in \[3, 5\], got 2"):
        tok.truncate(2)
