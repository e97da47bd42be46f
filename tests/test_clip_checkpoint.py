"""The committed course CLIP checkpoint loads, matches its record, and still scores what the record says."""

import pytest

from lessons import clip_model, clip_train
from lessons.clip_train import sha256


@pytest.fixture(scope="module")
def record():
    return clip_model.read_record()


def test_checkpoint_small_and_matches_sha(record):
    path = clip_model.ASSET_DIR / clip_model.WEIGHTS_FILE
    assert path.stat().st_size < 8_000_000                      # "a few MB": committed to git
    assert sha256(path) == record["sha256"]
    for key in ("recipe", "data", "quality", "training", "parameters"):
        assert key in record
    assert record["recipe"]["steps"] > 0 and record["recipe"]["seed"] == 0


def test_record_split_is_the_recipe_split(record):
    from lessons import data

    r = record["recipe"]
    train, held = clip_train.split_indices(data.emoji_catalog(), r["split"], r["holdout"], r["seed"])
    assert [data.emoji_catalog()[i].code for i in held] == record["data"]["held_out_codes"]
    assert len(train) == record["data"]["train"]


@pytest.mark.slow
def test_checkpoint_still_scores_its_record(record):
    from lessons import data

    model = clip_model.CourseClip.load()
    d = clip_train.emoji_data()
    train, held = clip_train.recorded_split(record, d)
    got = clip_train.evaluate(model, d, train, held)
    for split in ("in_sample", "zero_shot"):
        for key, value in record["quality"][split].items():
            assert got[split][key] == pytest.approx(value, abs=0.01), (split, key)
    # the targets of issue 6, as recorded
    assert record["quality"]["zero_shot"]["chance_recall_at_5"] < 0.02
