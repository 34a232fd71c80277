"""The benchmark's SSIM (bench/quality.py): what decides whether a faster rendition path
is good enough, so it is checked against what SSIM must give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def quality(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import quality

    return quality


def _picture(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (64, 48)).astype(np.uint8)


def test_a_picture_is_its_own_perfect_match(quality):
    picture = _picture()
    assert quality.ssim(picture, picture) == pytest.approx(1.0)


def test_flat_pictures_score_by_their_means_alone(quality):
    """No variance: SSIM is (2ab + C1) / (a^2 + b^2 + C1), C1 = (0.01 * 255)^2."""
    a, b, c1 = 100.0, 110.0, (0.01 * 255) ** 2
    flat = np.full((32, 32), a, np.uint8), np.full((32, 32), b, np.uint8)
    assert quality.ssim(*flat) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1))


def test_blur_and_noise_cost_score_both_ways(quality):
    picture = _picture()
    blurred = np.asarray(Image.fromarray(picture).filter(ImageFilter.GaussianBlur(1)))
    score = quality.ssim(picture, blurred)
    assert score < 0.9
    assert quality.ssim(blurred, picture) == pytest.approx(score)
    assert quality.ssim(picture, _picture(seed=2)) < 0.1  # unrelated noise


def test_the_gallerys_renditions_score_close_to_lanczos(quality, make_jpeg):
    from gallery.ingest.renditions import RenditionSpec

    photo = make_jpeg(size=(800, 600))
    scores = quality.rendition_scores(photo, RenditionSpec((200, 400), 82))
    assert set(scores) == {"200", "400"}
    assert all(0.95 < saved <= 1.0 for saved, _raw in scores.values()), scores
