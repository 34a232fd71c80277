"""The camera facts a photo page shows visitors: date, camera, lens, exposure. Never GPS.

Pure functions of a photo's fields; the template gives each fact its translated label.
"""

from __future__ import annotations

from typing import Protocol


class HasCameraFields(Protocol):
    taken_at: str | None
    camera_make: str | None
    camera_model: str | None
    lens: str | None
    exposure_time: str | None
    f_number: float | None
    iso: int | None
    focal_length: float | None


def taken(taken_at: str | None) -> str:
    """`2026-05-31T14:05:09+03:00` as `2026-05-31 14:05` (the camera's local time)."""
    if not taken_at:
        return ""
    day, _, time = taken_at.partition("T")
    return f"{day} {time[:5]}".strip()


def camera(make: str | None, model: str | None) -> str:
    """Make and model without saying the make twice (`Canon` + `Canon EOS 40D`)."""
    make, model = (make or "").strip(), (model or "").strip()
    if not make or not model:
        return make or model
    first_word = make.split()[0].lower()
    return model if model.lower().startswith(first_word) else f"{make} {model}"


def exposure(photo: HasCameraFields) -> str:
    """`1/125 s · f/2.8 · ISO 400 · 50 mm`, with whatever parts the file recorded."""
    parts = []
    if photo.exposure_time:
        parts.append(f"{photo.exposure_time} s")
    if photo.f_number:
        parts.append(f"f/{photo.f_number:g}")
    if photo.iso:
        parts.append(f"ISO {photo.iso}")
    if photo.focal_length:
        parts.append(f"{photo.focal_length:g} mm")
    return " · ".join(parts)


def camera_facts(photo: HasCameraFields) -> dict[str, str]:
    """Fact name -> text, only the facts there are, in the order the page lists them."""
    facts = {
        "taken": taken(photo.taken_at),
        "camera": camera(photo.camera_make, photo.camera_model),
        "lens": (photo.lens or "").strip(),
        "exposure": exposure(photo),
    }
    return {name: text for name, text in facts.items() if text}
