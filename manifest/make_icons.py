"""Draw the app icons: two overlapping speech bubbles. Run `python -m manifest.make_icons`.

The PNGs are committed; this script only documents how they were made. It needs
Pillow (a dev dependency), which the bot itself never imports.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
ACCENT = (0x4F, 0x6B, 0xED, 255)  # the manifest's accentColor
TINT = (0xB9, 0xC6, 0xFF, 255)
WHITE = (255, 255, 255, 255)

Box = tuple[int, int, int, int]
Poly = list[tuple[int, int]]


def bubble(
    draw: ImageDraw.ImageDraw, box: Box, tail: Poly, radius: int, fill: int | tuple[int, ...]
) -> None:
    draw.rounded_rectangle(box, radius=radius, fill=fill)
    draw.polygon(tail, fill=fill)


def color_icon(size: int = 192, scale: int = 4) -> Image.Image:
    """Full-colour icon, drawn large and scaled down so the edges are smooth."""

    def s(*values: int) -> tuple[int, ...]:
        return tuple(v * scale for v in values)

    big = Image.new("RGBA", (size * scale, size * scale), ACCENT)
    draw = ImageDraw.Draw(big)
    # Back bubble (upper left, tail down-left), inside Teams' 120px safe area.
    bubble(draw, s(36, 40, 122, 102), [s(52, 100), s(46, 124), s(76, 100)], 18 * scale, TINT)
    # A ring of background colour separates the front bubble from the back one.
    bubble(draw, s(64, 78, 164, 146), [s(130, 140), s(150, 166), s(152, 140)], 24 * scale, ACCENT)
    bubble(draw, s(70, 84, 158, 140), [s(134, 136), s(146, 158), s(148, 136)], 18 * scale, WHITE)
    for cx in (92, 114, 136):  # "typing" dots
        draw.ellipse(s(cx - 7, 105, cx + 7, 119), fill=ACCENT)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def outline_icon() -> Image.Image:
    """32x32 white on transparent; no anti-aliasing, so every pixel is white or clear."""
    mask = Image.new("L", (32, 32), 0)
    draw = ImageDraw.Draw(mask)
    # Back bubble as a 2px outline: fill it, then carve the inside out.
    bubble(draw, (1, 3, 19, 16), [(4, 15), (3, 21), (9, 15)], 4, 255)
    draw.rounded_rectangle((3, 5, 17, 14), radius=2, fill=0)
    # Front bubble solid, with a 1px gap around it and three dots cut out.
    bubble(draw, (10, 11, 30, 27), [(23, 26), (27, 31), (27, 26)], 5, 0)
    bubble(draw, (11, 12, 29, 26), [(24, 25), (27, 30), (27, 25)], 4, 255)
    for x in (14, 19, 24):
        draw.rectangle((x, 18, x + 1, 19), fill=0)
    icon = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    icon.putalpha(mask.point(lambda v: 255 if v >= 128 else 0))
    return icon


def main() -> None:
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")  # i18n: not said


if __name__ == "__main__":
    main()
