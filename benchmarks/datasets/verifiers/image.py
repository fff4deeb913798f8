"""Reading a synthetic-world image back into its attributes: background, colour, shape, size, position.

The world draws one flat-coloured circle, square or triangle (apex up) on a flat white, black or gray background
(benchmarks/datasets/synthetic.py).  The reading, at any size:

1. large images are block-averaged down to about 64 px (a 512 px SD image reads like the world's 64 px render);
2. a 3x3 median filter removes pixel noise and keeps the edges;
3. background: the median colour of the border pixels, named by the nearest background colour;
4. object: the pixels nearer to one of the six object colours than to the measured background colour; the
   largest 8-connected region of them is the object (stray pixels elsewhere are ignored);
5. colour: the median of the object's inner pixels (not its edge, where it blends into the background), named
   by the nearest object colour;
6. coverage: per pixel, the share the object covers (an edge pixel half-way between background and object
   colour is half covered), so that the area survives resizing and soft edges;
7. shape: from moments of the coverage that a symmetric blur leaves unchanged (:func:`_fitted_shape`): a
   triangle's mass is skewed downwards, a square's projection is flatter along the axes than the diagonals.  A
   bounding-box fill ratio misreads a blurred shape, and at 32 px a small circle and square differ by a few
   pixels of corner;
8. size and position: the shape's radius from the covered area (0.14 or 0.24 of the side) and its centre from
   the centre of mass, named by the nearest.

No object (a blank image, a random one, a region too small or too sprawling to be a drawn shape) reads as "none"
for colour, shape, size and position; the background is always read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.datasets.synthetic import BACKGROUNDS, COLOURS, POSITIONS, SIZES
from benchmarks.datasets.verifiers.vocabulary import NONE, OBJECT_PALETTE, nearest_colour
from nextgpt.core.errors import MediaError

#: images are block-averaged to about this many pixels on their shorter side before reading
WORKING_SIZE = 64
MIN_SIDE = 16
#: smallest object, as a share of the image area: the world's smallest shape (a small triangle) covers 0.039
MIN_OBJECT_AREA = 0.006
#: largest object, as a share of the image area: the world's largest shape (a large square) covers 0.23
MAX_OBJECT_AREA = 0.45
#: the least share of all object-coloured pixels the object holds (the rest: stray pixels)
MIN_REGION_SHARE = 0.35
#: the least share of its bounding box a drawn shape fills (a triangle: 0.5; soft edges lower it a little)
MIN_BOX_FILL = 0.3
#: the fitted radius (share of the image side) between small (0.14) and large (0.24)
LARGE_RADIUS = (SIZES["small"] + SIZES["large"]) / 2
#: RGB -> luma and two colour differences (BT.601).  Coverage weighs the colour differences at CHROMA_WEIGHT of
#: the luma: video codecs (and the world's MPEG-4 references) keep colour at half resolution and smear it, so a
#: small purple triangle on gray (whose difference is mostly colour) loses its apex in the colour channels but
#: not in the luma; 0.1 still lets colour carry a green shape on gray (a luma difference of 9 of 255)
_YCC = np.array([[0.299, 0.587, 0.114], [-0.1687, -0.3313, 0.5], [0.5, -0.4187, -0.0813]])
CHROMA_WEIGHT = 0.1
COVERAGE_METRIC = _YCC.T @ np.diag([1.0, CHROMA_WEIGHT, CHROMA_WEIGHT]) @ _YCC
#: the shape moments of the world's drawings (see _fitted_shape); a reading decides at half of each
#: triangle: kappa_3 of the height / area^1.5 = -(2 r)^3 / 135 / (2 r^2)^1.5
TRIANGLE_SKEW = -8 / 135 / 2**1.5
#: square of side s: kappa_4 along an axis is -s^4 / 120 (uniform), along a diagonal -s^4 / 240 (two uniforms of
#: side s / sqrt 2 added), so (axes - diagonals) / area^2 = -1/240
SQUARE_KURTOSIS = -1 / 240


@dataclass(frozen=True)
class SceneObject:
    """The drawn shape found in one image (coordinates are shares of the image width and height)."""

    colour: str
    shape: str
    size: str
    position: str
    #: centre of its bounding box
    centre: tuple[float, float]
    #: whether its box reaches the image border (the shape may be cut off there)
    touches_border: bool


def as_rgb_array(pixels: np.ndarray, what: str) -> np.ndarray:
    """``pixels`` as an (H, W, 3) array on the 0-255 scale; a clear error for any other shape."""
    array = np.asarray(pixels)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise MediaError(f"{what}: expected an (H, W, 3) RGB array, got shape {array.shape}")
    if min(array.shape[:2]) < MIN_SIDE:
        raise MediaError(f"{what}: {array.shape[1]}x{array.shape[0]} pixels is too small to read; expected at least "
                         f"{MIN_SIDE}x{MIN_SIDE}")
    return array if array.dtype == np.uint8 else array.astype(np.float64)


def working_copy(pixels: np.ndarray, size: int = WORKING_SIZE) -> np.ndarray:
    """Block-average down to about ``size`` px on the shorter side, then a 3x3 median filter; float64."""
    factor = max(1, min(pixels.shape[:2]) // size)
    if factor > 1:
        height, width = pixels.shape[0] // factor * factor, pixels.shape[1] // factor * factor
        pixels = pixels[:height, :width].reshape(height // factor, factor, width // factor, factor, 3).mean(
            axis=(1, 3), dtype=np.float64)
    return _median3(pixels).astype(np.float64)


def _median3(rgb: np.ndarray) -> np.ndarray:
    padded = np.pad(rgb, ((1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = rgb.shape[:2]
    shifted = np.stack([padded[dy:dy + height, dx:dx + width] for dy in range(3) for dx in range(3)])
    return np.partition(shifted, 4, axis=0)[4]


def border_pixels(rgb: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels, (n, 3)."""
    return np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]])


def background_colour(border: np.ndarray) -> np.ndarray:
    """The median colour of border pixels (robust to an object touching part of the border)."""
    return np.median(border, axis=0)


def find_object(rgb: np.ndarray, background: np.ndarray) -> SceneObject | None:
    """The drawn shape of a working copy (:func:`working_copy`) on the measured ``background`` colour."""
    region = object_region(rgb, background)
    return None if region is None else describe_object(rgb, background, region)


def object_region(rgb: np.ndarray, background: np.ndarray) -> np.ndarray | None:
    """The object's pixels: the largest 8-connected region of pixels nearer to an object colour than to the
    background colour.  None when there is none, or it cannot be a drawn shape: smaller than MIN_OBJECT_AREA,
    larger than MAX_OBJECT_AREA, holding less than MIN_REGION_SHARE of the object-coloured pixels, or filling
    less than MIN_BOX_FILL of its box (a random image has no such shape)."""
    candidates = np.concatenate([background[None], OBJECT_PALETTE])
    coloured = ((rgb[:, :, None, :] - candidates[None, None]) ** 2).sum(-1).argmin(-1) > 0
    if coloured.mean() > MAX_OBJECT_AREA:  # no background to stand on: noise, or a picture of something else
        return None
    region = _largest_region(coloured)
    if region is None or not MIN_OBJECT_AREA * region.size <= region.sum() <= MAX_OBJECT_AREA * region.size:
        return None
    if region.sum() < MIN_REGION_SHARE * coloured.sum():
        return None  # object colours scattered all over (noise): no one shape stands out
    rows, cols = np.nonzero(region.any(axis=1))[0], np.nonzero(region.any(axis=0))[0]
    if region.sum() < MIN_BOX_FILL * (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1):
        return None  # a sprawling region (connected noise), not a drawn shape
    return region


def describe_object(rgb: np.ndarray, background: np.ndarray, region: np.ndarray) -> SceneObject | None:
    """Colour, shape, size and position of the object found at ``region`` (:func:`object_region`)."""
    height, width = region.shape
    inner = _eroded(region)
    colour = np.median(rgb[inner] if inner.any() else rgb[region], axis=0)
    coverage = _coverage(rgb, background, colour, _dilated(_dilated(region)))
    if coverage.sum() < MIN_OBJECT_AREA * height * width:
        return None
    shape, (cx, cy, radius) = _fitted_shape(coverage)
    position = min(POSITIONS, key=lambda p: (POSITIONS[p][0] - cx / width) ** 2 + (POSITIONS[p][1] - cy / height) ** 2)
    return SceneObject(
        colour=nearest_colour(colour, COLOURS), shape=shape,
        size="large" if radius / min(height, width) >= LARGE_RADIUS else "small", position=position,
        centre=(cx / width, cy / height), touches_border=touches_border(region))


def touches_border(region: np.ndarray) -> bool:
    """Whether a region reaches the image border (a shape may be cut off there)."""
    return bool(region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any())


def _coverage(rgb: np.ndarray, background: np.ndarray, colour: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Per pixel, the share of it the object covers (0-1): where the pixel lies between the background and the
    object colour (an edge pixel that is half object is half-way; distances weighted by COVERAGE_METRIC),
    counted only ``near`` the object."""
    direction = COVERAGE_METRIC @ (colour - background)
    length2 = float((colour - background) @ direction)
    if length2 < 1.0:
        return np.zeros(rgb.shape[:2])
    share = np.clip(((rgb - background) @ direction) / length2, 0.0, 1.0)
    return np.where(near, share, 0.0)


def _fitted_shape(coverage: np.ndarray) -> tuple[str, tuple[float, float, float]]:
    """The world shape ``coverage`` shows, with its centre and radius in pixels, from moments that a symmetric
    blur leaves unchanged (a decoder's soft output, a video codec's smeared chroma):

    * the covered area and its centre of mass (a blur moves coverage around, never in or out, and evenly);
    * the third cumulant of the vertical position: a triangle with its apex up has its mass low and a tail
      towards the apex (``TRIANGLE_SKEW`` of area^1.5 below zero); circles and squares are symmetric (0);
    * the fourth cumulant along the axes minus along the diagonals: a square's projection on an axis is flat and
      on a diagonal peaked (``SQUARE_KURTOSIS`` of area^2 below zero); a circle's is the same in every direction
      (0).  An isotropic blur adds the same amount in every direction, and cumulants of a blur add, so both
      differences survive it.

    The radius follows from the area (circle: pi r^2, square: 4 r^2, triangle: 2 r^2), the centre from the
    centre of mass (a triangle's lies r/3 below the centre of its box)."""
    area = float(coverage.sum())
    ys, xs = np.indices(coverage.shape) + 0.5
    mx, my = float((coverage * xs).sum() / area), float((coverage * ys).sum() / area)
    dx, dy = xs - mx, ys - my
    skew = float((coverage * dy**3).sum()) / area / area**1.5
    diagonal = 0.5**0.5
    axes = _fourth_cumulant(coverage, dx) + _fourth_cumulant(coverage, dy)
    diagonals = _fourth_cumulant(coverage, (dx + dy) * diagonal) + _fourth_cumulant(coverage, (dx - dy) * diagonal)
    kurtosis = (axes - diagonals) / 2 / area**2
    if skew < TRIANGLE_SKEW / 2:
        shape, area_per_r2, centroid_below = "triangle", 2.0, 1.0 / 3.0
    elif kurtosis < SQUARE_KURTOSIS / 2:
        shape, area_per_r2, centroid_below = "square", 4.0, 0.0
    else:
        shape, area_per_r2, centroid_below = "circle", float(np.pi), 0.0
    radius = float(np.sqrt(area / area_per_r2))
    return shape, (mx, my - centroid_below * radius, radius)


def _fourth_cumulant(coverage: np.ndarray, offset: np.ndarray) -> float:
    """kappa_4 = m4 - 3 m2^2 of the coverage-weighted ``offset`` (central moments)."""
    area = float(coverage.sum())
    m2 = float((coverage * offset**2).sum()) / area
    return float((coverage * offset**4).sum()) / area - 3 * m2**2


def _dilated(mask: np.ndarray) -> np.ndarray:
    return _max3(mask)


def _eroded(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` whose 4 neighbours are all in it (the object without its blended edge)."""
    padded = np.pad(mask, 1)
    return (padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]) & mask


def _largest_region(mask: np.ndarray) -> np.ndarray | None:
    """The largest 8-connected region of ``mask`` as a mask (None when ``mask`` is empty).  Each pixel takes the
    largest label of its 3x3 neighbourhood until nothing changes (vectorised, on the box around ``mask``)."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(rows) == 0:
        return None
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    inside = mask[box]
    labels = np.where(inside, np.arange(1, inside.size + 1).reshape(inside.shape), 0)
    while True:
        grown = _max3(labels) * inside
        if np.array_equal(grown, labels):
            break
        labels = grown
    values, counts = np.unique(labels[inside], return_counts=True)
    region = np.zeros(mask.shape, dtype=bool)
    region[box] = labels == values[int(np.argmax(counts))]
    return region


def _max3(values: np.ndarray) -> np.ndarray:
    """3x3 maximum filter (zero outside), separably."""
    padded = np.pad(values, 1)
    rows = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    return np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])


def read_image(pixels: np.ndarray) -> dict[str, str]:
    """The image's colour, shape, size, position and background in the world's words ("none": no object).
    ``pixels``: (H, W, 3), uint8 or 0-255 floats, H and W at least 16."""
    rgb = working_copy(as_rgb_array(pixels, "image"))
    background = background_colour(border_pixels(rgb))
    found = find_object(rgb, background)
    reading = {"colour": NONE, "shape": NONE, "size": NONE, "position": NONE}
    if found is not None:
        reading = {"colour": found.colour, "shape": found.shape, "size": found.size, "position": found.position}
    return {**reading, "background": nearest_colour(background, BACKGROUNDS)}
