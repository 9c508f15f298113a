"""Draw the integration's brand images (icon.png, icon@2x.png, logo.png).

Run with the project's venv: `.venv/bin/python scripts/brand.py`. Home Assistant 2026.3+ serves the
files in custom_components/thingscloud/brand/ for a custom integration.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).parent.parent / "custom_components" / "thingscloud" / "brand"
BLUE = (22, 119, 255, 255)
WHITE = (255, 255, 255, 255)


def draw_icon(size: int) -> Image.Image:
    """A white cloud with three linked device dots on a blue rounded square."""
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BLUE)
    unit = big / 16
    # The cloud: three circles on a rounded base.
    draw.ellipse((3 * unit, 6 * unit, 8 * unit, 11 * unit), fill=WHITE)
    draw.ellipse((6 * unit, 3.5 * unit, 12 * unit, 9.5 * unit), fill=WHITE)
    draw.ellipse((9.5 * unit, 6.5 * unit, 13.5 * unit, 10.5 * unit), fill=WHITE)
    draw.rounded_rectangle(
        (3 * unit, 8 * unit, 13.5 * unit, 11 * unit), radius=unit * 1.5, fill=WHITE
    )
    # Devices hanging below the cloud.
    for x in (5.5, 8.25, 11):
        draw.line((x * unit, 11 * unit, x * unit, 12.8 * unit), fill=WHITE, width=int(unit * 0.6))
        draw.ellipse(((x - 0.9) * unit, 12.3 * unit, (x + 0.9) * unit, 14.1 * unit), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_logo(height: int) -> Image.Image:
    """The icon followed by the product name."""
    icon = draw_icon(height)
    font = None
    for name in ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"):
        try:
            font = ImageFont.truetype(name, int(height * 0.5))
            break
        except OSError:
            continue
    if font is None:
        font = ImageFont.load_default(size=int(height * 0.5))
    text = "ThingsCloud"
    left, top, right, bottom = font.getbbox(text)
    width = height + int(height * 0.2) + (right - left) + int(height * 0.1)
    logo = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    logo.paste(icon, (0, 0), icon)
    draw = ImageDraw.Draw(logo)
    draw.text(
        (height + int(height * 0.2) - left, (height - (bottom - top)) // 2 - top),
        text,
        font=font,
        fill=BLUE,
    )
    return logo


def main() -> None:
    """Write the three PNGs."""
    BRAND.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(BRAND / "icon.png", optimize=True)
    draw_icon(512).save(BRAND / "icon@2x.png", optimize=True)
    draw_logo(256).save(BRAND / "logo.png", optimize=True)


if __name__ == "__main__":
    main()
