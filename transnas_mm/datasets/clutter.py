"""Backgrounds with the statistics of natural images, for the generated
source: dead-leaves clutter (occluding leaves of many sizes and colours,
optionally filled with bundled grey-level photographs), 1/f^2 spectral
noise and the shading it gives. :mod:`.procedural` draws its classes on
them."""
import colorsys
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw


def random_colour(rng: np.random.Generator,
            hue: Optional[float] = None) -> Tuple[int, int, int]:
    """A random colour with random saturation (natural images are rarely
    fully saturated); ``hue``: near that hue (0-1) instead of any."""
    if hue is not None:
        rgb = colorsys.hsv_to_rgb((hue + rng.normal(0, 0.04)) % 1.0,
                                  rng.uniform(0.4, 1.0),
                                  rng.uniform(0.35, 1.0))
        return tuple(int(255 * v) for v in rgb)
    c = rng.integers(0, 256, 3).astype(np.float32)
    c = c.mean() + rng.uniform(0.2, 1.0) * (c - c.mean())
    return tuple(int(v) for v in c.clip(0, 255))


# Grey-level photographs and textures bundled in scikit-image, none of
# them (nor a view of the same scene) in the demo's photo target: surface
# statistics for textured leaves (see ``dead_leaves(textured=...)``).
TEXTURE_PHOTOS = ('brick.png', 'grass.png', 'gravel.png', 'camera.png',
                  'moon.png', 'coins.png', 'page.png', 'text.png',
                  'cell.png', 'clock_motion.png')
_BANK: List[np.ndarray] = []


def texture_bank() -> List[np.ndarray]:
    """The grey-level images of :data:`TEXTURE_PHOTOS` in [0, 1] (loaded
    once per process)."""
    if not _BANK:
        from .photo_target import photo_path
        for name in TEXTURE_PHOTOS:
            img = Image.open(photo_path('skimage', f'data/{name}'))
            _BANK.append(np.asarray(img.convert('L'), np.float32) / 255.0)
    return _BANK


def _photo_fill(w: int, h: int, base: np.ndarray, spread: float,
                rng: np.random.Generator) -> Image.Image:
    """A ``w``x``h`` patch of a random bank photograph (random crop scale),
    colourised between two colours around ``base``."""
    bank = texture_bank()
    src = bank[int(rng.integers(0, len(bank)))]
    side = max(8, int(min(src.shape) * rng.uniform(0.1, 0.4)))
    y, x = (int(rng.integers(0, d - side + 1)) for d in src.shape)
    patch = Image.fromarray((src[y:y + side, x:x + side] * 255).astype(
        np.uint8)).resize((max(1, w), max(1, h)), Image.BILINEAR)
    g = np.asarray(patch, np.float32)[..., None]
    lo, hi = np.percentile(g, (2, 98))  # full contrast, as a surface shows
    g = np.clip((g - lo) / max(hi - lo, 1.0), 0, 1)
    a = np.clip(base + rng.normal(0, spread, 3), 0, 255)
    b = np.array(random_colour(rng), np.float32)
    return Image.fromarray((a * (1 - g) + b * g).astype(np.uint8))


def dead_leaves(size: int, rng: np.random.Generator,
                leaves: int = 40, spread: float = 40.0,
                textured: float = 0.0) -> Image.Image:
    """Background with dead-leaves statistics: occluding discs and
    rectangles, sizes from a power law, colours around a random palette.
    ``textured``: the share of leaves filled with a patch of a bundled
    photograph (:data:`TEXTURE_PHOTOS`) instead of one colour."""
    palette = np.array([random_colour(rng) for _ in range(3)])
    img = Image.new('RGB', (size, size), tuple(int(v) for v in palette[0]))
    if textured and rng.random() < textured:
        img = _photo_fill(size, size, palette[0], spread, rng)
    draw = ImageDraw.Draw(img)
    for _ in range(leaves):
        r = size * 0.5 * rng.uniform(0.05, 1.0) ** 2.5 + 1
        cx, cy = rng.uniform(-r, size + r, 2)
        base = palette[int(rng.integers(0, 3))]
        col = tuple(int(v) for v in np.clip(base + rng.normal(0, spread, 3),
                                            0, 255))
        box = [cx - r, cy - r, cx + r, cy + r]
        disc = rng.random() < 0.5
        if textured and rng.random() < textured:
            mask = Image.new('L', (size, size), 0)
            (ImageDraw.Draw(mask).ellipse if disc else
             ImageDraw.Draw(mask).rectangle)(box, fill=255)
            x0, y0 = max(0, int(cx - r)), max(0, int(cy - r))
            x1, y1 = min(size, int(cx + r) + 1), min(size, int(cy + r) + 1)
            if x1 > x0 and y1 > y0:
                fill = _photo_fill(x1 - x0, y1 - y0, base, spread, rng)
                img.paste(fill, (x0, y0), mask.crop((x0, y0, x1, y1)))
        elif disc:
            draw.ellipse(box, fill=col)
        else:
            draw.rectangle(box, fill=col)
    return img


def spectral_noise(size: int, rng: np.random.Generator,
                   alpha: Tuple[float, float] = (1.5, 2.5),
                   channels: int = 3) -> np.ndarray:
    """HxWxC noise in [-1, 1] with a 1/f^alpha amplitude spectrum (natural
    images have alpha near 2), correlated across channels."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.fftfreq(size)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    amp = f ** -(rng.uniform(*alpha) / 2)
    amp[0, 0] = 0.0
    shared = rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))
    out = []
    for _ in range(channels):
        own = rng.normal(size=(size, size)) + 1j * rng.normal(
            size=(size, size))
        field = np.fft.ifft2(amp * (shared + 0.5 * own)).real
        out.append(field / (np.abs(field).max() + 1e-8))
    return np.stack(out, -1).astype(np.float32)


def naturalise(img: Image.Image, rng: np.random.Generator,
               strength: float) -> Image.Image:
    """Give a flat-coloured rendering natural-image statistics: shading and
    colour variation from 1/f^2 noise (multiplicative luminance, additive
    colour), as in Baradad et al.'s spectral generators."""
    arr = np.asarray(img, np.float32)
    noise = spectral_noise(arr.shape[0], rng)
    lum = noise.mean(-1, keepdims=True)
    arr = arr * (1 + strength * rng.uniform(0.3, 1.0) * lum) + \
        strength * 60 * rng.uniform(0.3, 1.0) * (noise - lum)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))
