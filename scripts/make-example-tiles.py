#!/usr/bin/env python3
"""Draws examples/tiles-shapes/: nine tile pictures (0.png ... 8.jpg) of simple
coloured shapes, a stand-in for "your own tiles" in `latplan ... --tiles DIR`.
Needs Pillow. The committed files are what the README's measurements used."""
import math
import os
from PIL import Image, ImageDraw

out = os.path.join(os.path.dirname(__file__), "..", "examples", "tiles-shapes")
os.makedirs(out, exist_ok=True)
S = 64
colours = [(230, 60, 60), (60, 160, 230), (240, 200, 40), (80, 200, 90), (200, 90, 220),
           (250, 140, 40), (40, 200, 200), (230, 230, 230), (150, 110, 60)]


def star(d, c, col, points=5):
    pts = []
    for k in range(points * 2):
        r = 26 if k % 2 == 0 else 11
        a = math.pi * k / points - math.pi / 2
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    d.polygon(pts, fill=col)


def draw(n):
    img = Image.new("RGB", (S, S), (20, 20, 30))
    d = ImageDraw.Draw(img)
    col = colours[n]
    if n == 0:
        d.ellipse((10, 10, 54, 54), fill=col)
    elif n == 1:
        d.rectangle((12, 12, 52, 52), fill=col)
    elif n == 2:
        d.polygon([(32, 8), (56, 54), (8, 54)], fill=col)
    elif n == 3:
        star(d, 32, col)
    elif n == 4:
        d.rectangle((26, 8, 38, 56), fill=col)
        d.rectangle((8, 26, 56, 38), fill=col)
    elif n == 5:
        d.ellipse((8, 8, 56, 56), fill=col)
        d.ellipse((20, 20, 44, 44), fill=(20, 20, 30))
    elif n == 6:
        d.polygon([(32, 6), (58, 32), (32, 58), (6, 32)], fill=col)
    elif n == 7:
        for k in range(4):
            d.rectangle((8, 8 + 13 * k, 56, 14 + 13 * k), fill=col)
    else:
        for y in range(3):
            for x in range(3):
                d.ellipse((8 + 17 * x, 8 + 17 * y, 20 + 17 * x, 20 + 17 * y), fill=col)
    ext = "jpg" if n in (2, 8) else "png"
    img.save(os.path.join(out, f"{n}.{ext}"))


for n in range(9):
    draw(n)
