"""Contact sheets and press kits: real files, opened by independent readers."""

from __future__ import annotations

import json
import zipfile

from PIL import Image, IptcImagePlugin
from pypdf import PdfReader

from gallery.articles.contactsheet import PER_PAGE, SheetPhoto, render_pages, save_pdf
from gallery.articles.presskit import KitPhoto, kit_jpeg
from gallery.ingest.iptc_xmp import iptc_fields
from gallery.ingest.metadata import read_metadata
from tests.helpers.cli import invoke
from tests.helpers.images import write_image, write_images

A4_POINTS = (595.28, 841.89)


def _is_a4(page) -> bool:
    size = (float(page.mediabox.width), float(page.mediabox.height))
    return all(abs(got - want) < 1 for got, want in zip(size, A4_POINTS, strict=True))


def test_contact_sheet_pages_are_a4_and_fit_the_photo_count(tmp_path):
    thumb = write_image(tmp_path / "t.jpg", (320, 213))
    photos = [
        SheetPhoto(n, f"IMG_{n:04d}_ļoti_garš_faila_nosaukums_kas_neietilpst.jpg", None, thumb)
        for n in range(1, PER_PAGE + 4)
    ]
    photos.append(SheetPhoto(99, "missing.jpg", "2019-12-03T10:00:00", tmp_path / "gone.jpg"))
    pages = render_pages("Album", photos)
    pdf = tmp_path / "sheet.pdf"
    save_pdf(pages, pdf)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2 and all(_is_a4(page) for page in reader.pages)


def test_contact_sheet_command_writes_pdf_and_pngs(runner, tmp_path):
    folder = tmp_path / "photos"
    write_images(folder, [(400, 300), (500, 300), (600, 300)])
    assert runner.invoke(args=["import", "--album", "fest", str(folder)]).exit_code == 0
    out = tmp_path / "out" / "fest.pdf"
    out.parent.mkdir()
    result = runner.invoke(args=["contact-sheet", "--album", "fest", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(out), str(out.parent / "fest-1.png")]
    assert len(PdfReader(out).pages) == 1
    with Image.open(out.parent / "fest-1.png") as png:
        assert png.size == (1240, 1754)  # A4 at 150 DPI


def test_press_kit_jpeg_carries_caption_and_credit_in_xmp_and_iptc(tmp_path):
    source = write_image(tmp_path / "r.jpg", (3000, 2000))
    caption = "Konference Daugavpilī — “citāts” & <b>"
    photo = KitPhoto("8a", source, (0.5, 0.0, 0.5, 1.0), caption, "Jānis Bērziņš", "© DT")
    path = tmp_path / "8a.jpg"
    path.write_bytes(kit_jpeg(photo))
    meta = read_metadata(path)
    assert (meta.caption, meta.credit, meta.copyright) == (caption, "Jānis Bērziņš", "© DT")
    with Image.open(path) as image:
        assert image.size == (1500, 2000)  # the right half, not enlarged
        iptc = iptc_fields(IptcImagePlugin.getiptcinfo(image))
    assert iptc == {"caption": [caption], "credit": ["Jānis Bērziņš"], "copyright": ["© DT"]}


def test_press_kit_command_zips_labelled_photos(runner, tmp_path):
    folder = tmp_path / "photos"
    write_images(folder, [(600, 400), (400, 600)])
    assert runner.invoke(args=["import", "--album", "kit", str(folder)]).exit_code == 0
    invoke(runner, "albums", "set", "kit", "--visibility", "unlisted")
    text = tmp_path / "a.txt"
    text.write_text("Preses komplekts\n\nTeksts.\n\n1 2 2b\n")
    assert runner.invoke(args=["article", "import", str(text), "--album", "kit"]).exit_code == 0
    out = tmp_path / "kit.zip"
    result = runner.invoke(args=["article", "press-kit", "preses-komplekts", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["1.jpg", "2.jpg", "2b.jpg", "captions.txt"]
        captions = archive.read("captions.txt").decode()
        assert captions.startswith("Preses komplekts\n") and "2b.jpg" in captions
        assert archive.read("1.jpg")[:2] == b"\xff\xd8"
    layout = invoke(runner, "article", "layout", "preses-komplekts", "--json").output
    assert [b["label"] for b in json.loads(layout)["rows"][0]] == ["1", "2", "2b"]
