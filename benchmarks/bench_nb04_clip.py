"""Notebook 04 figures: the committed course CLIP's quality (recomputed), training and indexing speed, search latency.

Keys: clip_in_sample_recall_at_1, clip_zero_shot_recall_at_5, clip_zero_shot_recall_at_10,
clip_zero_shot_recall_at_5_one_tower (the ensemble's first tower alone), clip_train_images_per_s,
clip_index_images_per_s, clip_search_ms (nb04_seconds comes from bench_notebooks.py). The full checkpoint is not retrained here: training throughput is
measured over a short fixed number of steps of the same recipe.
"""

import os
import time



def measure(quick: bool) -> dict:
    import torch
    from PIL import Image

    from lessons import clip_model, clip_train, models
    from lessons.multimodal import MultimodalIndex

    torch.set_num_threads(1)                       # the recipe's setting (python -m lessons train-clip)
    models.quiet_progress_bars()
    record = clip_model.read_record()
    model = clip_model.CourseClip.load()
    d = clip_train.emoji_data()
    train, held = clip_train.recorded_split(record, d)
    q = clip_train.evaluate(model, d, train, held)

    steps = 5 if quick else 20
    recipe = clip_train.Recipe(**{**record["recipe"], "steps": steps, "warmup": 1})
    _, _, stats = clip_train.train(d, train, recipe)

    n_index = 100 if quick else 400
    mix = MultimodalIndex(model)
    pics = [Image.fromarray(a) for a in d.images[:n_index]]
    t = time.perf_counter()
    for im in pics:
        mix.index(im)
    index_rate = n_index / (time.perf_counter() - t)
    for name in d.names[:n_index]:
        mix.index(name)
    queries = ["space horse", "a red heart", "happy cat", "rocket launch", "rainy weather",
               "a cup of hot coffee", "musical instrument", "flag of France", "sad face", "fast car"]
    mix.search(queries[0], 5)                      # warm up
    t = time.perf_counter()
    for query in queries:
        mix.search(query, 5)
    search_ms = 1000 * (time.perf_counter() - t) / len(queries)
    one = {}
    if isinstance(model.tower, clip_model.TowerEnsemble):
        alone = clip_train.evaluate(clip_model.CourseClip(model.tower.members[0], model.logit_scale), d, train, held)
        one["clip_zero_shot_recall_at_5_one_tower"] = alone["zero_shot"]["text_to_image_recall_at_5"]
    return {
        **one,
        "clip_in_sample_recall_at_1": q["in_sample"]["text_to_image_recall_at_1"],
        "clip_zero_shot_recall_at_5": q["zero_shot"]["text_to_image_recall_at_5"],
        "clip_zero_shot_recall_at_10": q["zero_shot"]["text_to_image_recall_at_10"],
        "clip_train_images_per_s": round(stats["images_per_s"], 1),
        "clip_index_images_per_s": round(index_rate, 1),
        "clip_search_ms": round(search_ms, 2),
        "clip_load_average": [round(x, 2) for x in os.getloadavg()],
    }
