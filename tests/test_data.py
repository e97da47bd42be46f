"""lessons.data: the offline loaders return the real data, with attributions."""

import numpy as np
import pytest

from lessons import data
from lessons.data import ATTRIBUTIONS


def test_wiki_articles_are_the_vital_articles():
    arts = data.wiki_articles()
    assert len(arts) == 10033
    by_title = {a.title: a for a in arts}
    film = by_title["2001: A Space Odyssey"]
    assert film.description == "1968 film by Stanley Kubrick" and film.topic == "Arts"
    assert "Stanley Kubrick" in film.text
    assert sum(1 for a in arts if a.description) == 9862
    assert len({a.topic for a in arts}) == 12
    assert data.wiki_articles(limit=5) == arts[:5]


def test_wiki_sentences_tokenised_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    sents = data.wiki_sentences()
    assert 780_000 < sum(map(len, sents)) < 800_000
    assert sents[0][:4] == ["20th", "century", "classical", "music"]
    assert all(t == t.lower() for t in sents[5])
    assert len(list(tmp_path.glob("wiki-sentences-*.json"))) == 1
    assert data.wiki_sentences(limit=3) == sents[:3]


def test_tokenize_and_split():
    assert data.tokenize("Paris, the capital of France's north.") == ["paris", "the", "capital", "of", "france's", "north"]
    assert data.split_sentences("It is big. It spans 6852 islands. ok") == ["It is big.", "It spans 6852 islands. ok"]


def test_evaluation_sets():
    q = data.analogy_questions()
    assert len(q) == 14 and sum(map(len, q.values())) == 19544
    assert q["capital-common-countries"][0] == ("athens", "greece", "baghdad", "iraq")
    ws, sl = data.wordsim353(), data.simlex999()
    assert len(ws) == 353 and ("tiger", "cat", 7.35) in ws
    assert len(sl) == 999 and ("smart", "intelligent", 9.2) in sl


def test_emoji_catalog_and_renders(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    cat = data.emoji_catalog()
    assert 1850 < len(cat) < 2000
    names = {e.name for e in cat}
    assert {"horse face", "rocket", "woman astronaut"} <= names
    assert not any(0x1F3FB <= ord(c) <= 0x1F3FF for e in cat for c in e.char)
    sub = tuple(e for e in cat if e.name in ("horse face", "rocket"))
    imgs = data.emoji_images(32, sub)
    assert imgs.shape == (2, 32, 32, 3) and imgs.dtype == np.uint8
    assert imgs.std() > 20  # not blank
    assert (imgs[:, 0, 0] > 240).all()  # white background at the corner
    again = data.emoji_images(32, sub)
    assert np.array_equal(imgs, again) and len(list(tmp_path.glob("emoji-*.npz"))) == 1
    with pytest.raises(ValueError, match="at least 8"):
        data.emoji_images(4, sub)


def test_photos_offline():
    ph = data.photos(("astronaut", "chelsea", "horse", "china"))
    assert ph["astronaut"].size == (512, 512) and ph["astronaut"].mode == "RGB"
    assert ph["horse"].mode == "RGB"
    with pytest.raises(ValueError, match="Unknown photo"):
        data.photos(("eagle",))


def test_every_source_has_license_and_author():
    for key, att in ATTRIBUTIONS.items():
        assert att.license and att.author and att.source.startswith("http"), key
        assert att.license in str(att)
