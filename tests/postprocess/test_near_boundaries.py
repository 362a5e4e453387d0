"""`Upsampling` (decide on the mask grid, upsample near boundaries) agrees with upsampling everything."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from segtutor.postprocess import (
    _instance,
    _near_boundaries,
    _panoptic,
    _semantic,
    instance,
    panoptic,
    semantic,
)
from segtutor.postprocess._near_boundaries import PlainUpsampling, Upsampling

# The two compute the same formula; their float32 roundings may differ on some CPUs (ATEN_CPU_CAPABILITY),
# which can only flip a decision where two values are equal to rounding error.
AGREEMENT = 0.999


def _maps(kind: str, count: int, grid: tuple[int, int], seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if kind == "noise":  # every pixel independent: boundaries everywhere
        return torch.rand(count, *grid, generator=g)
    coarse = torch.randn(1, count, max(2, grid[0] // 6), max(2, grid[1] // 6), generator=g)
    smooth = F.interpolate(coarse, size=grid, mode="bilinear")[0]
    if kind == "smooth":
        return torch.sigmoid(smooth * 3.0)
    # "sharp": saturated probabilities (confident masks), weighted by a score per map as in panoptic
    return torch.sigmoid(smooth * 30.0) * torch.rand(count, 1, 1, generator=g)


CASES = [
    # count, mask grid, output size
    (7, (24, 32), (97, 130)),
    (20, (12, 16), (480, 640)),
    (3, (30, 40), (30, 40)),  # same size
    (12, (40, 30), (23, 17)),  # smaller
    (5, (1, 9), (4, 300)),
    (1, (6, 6), (200, 100)),
    (40, (96, 128), (480, 640)),
]


@pytest.mark.parametrize("kind", ["noise", "smooth", "sharp"])
@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c[0]}x{c[1][0]}x{c[1][1]}-{c[2][0]}x{c[2][1]}" for c in CASES]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_decisions_agree_with_upsampling_everything(kind, case, seed):
    count, grid, size = case
    maps = _maps(kind, count, grid, seed)
    fast, plain = Upsampling(maps, size), PlainUpsampling(maps, size)
    pixels = size[0] * size[1]
    assert (fast.argmax() == plain.argmax()).float().mean() >= AGREEMENT
    assert (fast.last_above(0.5).map() == plain.last_above(0.5).map()).float().mean() >= AGREEMENT
    won = torch.bincount(plain.argmax().flatten(), minlength=count)
    assert (fast.best().areas(count) - won).abs().sum() <= (1 - AGREEMENT) * pixels
    for strict in (True, False):
        difference = (fast.counts(0.5, strict=strict) - plain.counts(0.5, strict=strict)).abs()
        assert difference.sum() <= (1 - AGREEMENT) * pixels


def test_ties_go_to_the_first_map_like_argmax():
    maps = torch.randint(0, 3, (6, 11, 13), generator=torch.Generator().manual_seed(3)).float()
    maps[4] = maps[1]  # a duplicated map: the lower index must win
    for size in [(50, 41), (9, 9)]:
        assert torch.equal(Upsampling(maps, size).argmax(), PlainUpsampling(maps, size).argmax())


def test_far_from_boundaries_nothing_is_upsampled(monkeypatch):
    maps = torch.zeros(2, 8, 8)
    maps[0, :, :4], maps[1, :, 4:] = 1.0, 1.0  # one straight boundary between columns 3 and 4
    seen = []
    original = Upsampling._upsampled
    monkeypatch.setattr(
        Upsampling,
        "_upsampled",
        lambda self, pieces, *args: seen.append(pieces) or original(self, pieces, *args),
    )
    upsampling = Upsampling(maps, (80, 80))
    assert torch.equal(upsampling.argmax(), PlainUpsampling(maps, (80, 80)).argmax())
    straddling = upsampling.cols.source[torch.cat(seen)[:, 1]]
    assert straddling.unique().tolist() == [3]  # only the blocks straddling the boundary


def test_no_maps_give_empty_decisions():
    fast = Upsampling(torch.zeros(0, 5, 6), (20, 30))
    assert fast.counts(0.5, strict=True).shape == (0,)
    assert torch.equal(fast.last_above(0.5).map(), torch.full((20, 30), -1))


@pytest.fixture
def plain_upsampling(monkeypatch):
    for module in (_semantic, _instance, _panoptic):
        monkeypatch.setattr(module, "Upsampling", _near_boundaries.PlainUpsampling)


def _agrees(ours, reference) -> bool:
    """Same segments, and the maps equal on 99.9 % of the pixels (all but 5 on tiny maps)."""
    if isinstance(ours, dict):
        assert ours["segments_info"] == reference["segments_info"]
        ours, reference = ours["segmentation"], reference["segmentation"]
    return int((ours != reference).sum()) <= max((1 - AGREEMENT) * ours.numel(), 5)


@pytest.mark.parametrize("task", [semantic, instance, panoptic], ids=lambda f: f.__name__)
@pytest.mark.parametrize("seed", range(6))
def test_default_mode_agrees_with_its_plain_reference_on_synthetic_outputs(synthetic, task, seed, request):
    outputs = synthetic("mask2former", seed=seed, queries=30, classes=9, mask_size=(24, 32), confident=8)
    sizes = [(97 + 31 * seed, 130 - 7 * seed)]
    ours = task(outputs, target_sizes=sizes)
    request.getfixturevalue("plain_upsampling")
    reference = task(outputs, target_sizes=sizes)
    assert _agrees(ours[0], reference[0])


@pytest.mark.parametrize("task", [semantic, instance, panoptic], ids=lambda f: f.__name__)
@pytest.mark.parametrize("architecture", ["mask2former", "maskformer"])
@pytest.mark.parametrize("confidence", [1.0, 8.0])
def test_default_mode_agrees_with_its_plain_reference_on_model_outputs(
    tiny_model_outputs, task, architecture, confidence, request
):
    outputs, pixel_mask, sizes = tiny_model_outputs[(architecture, 1)]
    outputs = type(outputs)(
        class_queries_logits=outputs.class_queries_logits * confidence,
        masks_queries_logits=outputs.masks_queries_logits * confidence,
    )
    ours = task(outputs, target_sizes=sizes, pixel_mask=pixel_mask)
    request.getfixturevalue("plain_upsampling")
    reference = task(outputs, target_sizes=sizes, pixel_mask=pixel_mask)
    for image in range(len(sizes)):
        assert _agrees(ours[image], reference[image])


@pytest.mark.parametrize("source, size", [(96, 480), (208, 1024), (408, 2048), (7, 300), (40, 23), (5, 5)])
def test_pieces_cover_every_output_pixel_once_and_stay_inside_their_block(source, size):
    axis = _near_boundaries._axis(source, size, torch.device("cpu"))
    assert torch.equal(axis.start + axis.count, torch.cat([axis.start[1:], torch.tensor([size])]))
    assert axis.start[0] == 0 and int(axis.count.min()) >= 1
    assert int(axis.count.max()) <= -(-size // source)  # at most ceil(scale) pixels long
    # every pixel of a piece lies between the piece's grid pixel and the next, as interpolate puts it
    position = ((torch.arange(size) + 0.5) * source / size - 0.5).clamp(min=0).floor().long()
    assert torch.equal(axis.source[axis.piece], position)
    assert torch.equal(axis.block_count, torch.bincount(position, minlength=source))


def test_class_scores_are_computed_in_chunks_without_changing_them():
    g = torch.Generator().manual_seed(0)
    mask_logits, class_probs = torch.randn(9, 48, 64, generator=g) * 4, torch.rand(9, 5, generator=g)
    scores = _semantic._pixel_scores(mask_logits, class_probs)  # 3,072 pixels: two chunks
    expected = torch.einsum("qc, qhw -> chw", class_probs, mask_logits.sigmoid())
    assert scores.shape == (5, 48, 64)
    torch.testing.assert_close(scores, expected, rtol=1e-5, atol=1e-6)


def test_areas_count_the_pixels_each_map_wins():
    maps = _maps("sharp", 9, (24, 32), seed=4)
    won = Upsampling(maps, (97, 130)).best()
    plain = torch.bincount(PlainUpsampling(maps, (97, 130)).argmax().flatten(), minlength=9)
    assert int(won.areas(9).sum()) == 97 * 130
    assert (won.areas(9) - plain).abs().sum() <= (1 - AGREEMENT) * 97 * 130
