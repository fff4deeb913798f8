"""The ``diffusers`` adapter kind: one pipeline folder, the adapter chosen by its ``model_index.json``.

``_class_name`` decides: ``StableDiffusionPipeline`` -> :class:`DiffusersTextToImage`, ``TextToVideoSDPipeline``
(Zeroscope) -> :class:`DiffusersTextToVideo`, ``AudioLDMPipeline`` -> :class:`DiffusersTextToAudio`. Any other
class is refused with the list of supported ones, before any weights are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nextgpt.adapters.diffusers_base import DiffusersPipelineAdapter, read_pipeline_class
from nextgpt.adapters.diffusers_text_to_audio import DiffusersTextToAudio
from nextgpt.adapters.diffusers_text_to_image import DiffusersTextToImage
from nextgpt.adapters.diffusers_text_to_video import DiffusersTextToVideo
from nextgpt.adapters.settings import AdapterSettings
from nextgpt.core.errors import ConfigError
from nextgpt.core.interface import JSONValue
from nextgpt.core.modalities import Modality

#: The adapter of each supported pipeline class.
PIPELINE_ADAPTERS: Mapping[str, type[DiffusersPipelineAdapter]] = {
    adapter.pipeline_class: adapter for adapter in (DiffusersTextToImage, DiffusersTextToVideo, DiffusersTextToAudio)}
#: The modality each supported pipeline class writes.
PIPELINE_OUTPUTS: Mapping[str, Modality] = {name: adapter.output for name, adapter in PIPELINE_ADAPTERS.items()}
#: The keyword options each adapter takes besides AdapterSettings (frame size, frames, clip length).
PIPELINE_OPTIONS: Mapping[str, tuple[str, ...]] = {
    DiffusersTextToImage.pipeline_class: ("height", "width"),
    DiffusersTextToVideo.pipeline_class: ("num_frames", "height", "width"),
    DiffusersTextToAudio.pipeline_class: ("audio_length_in_s",),
}

_SUPPORTED = ", ".join(PIPELINE_ADAPTERS)


def check_diffusers_folder(folder: Path) -> str:
    """The pipeline class of ``folder`` when an adapter reads it; reads only ``model_index.json`` and looks for
    the component folders it lists (no weights). MissingWeightsError for a missing folder, index or component,
    CheckpointError for an unreadable index, ConfigError for an unsupported class -- each naming the path."""
    folder = Path(folder)
    class_name = read_pipeline_class(folder, where="diffusers", expected=f"diffusers pipeline ({_SUPPORTED})")
    if class_name not in PIPELINE_ADAPTERS:
        raise ConfigError(f"{folder / 'model_index.json'}: _class_name is {class_name!r}; the diffusers adapter "
                          f"reads {_SUPPORTED}")
    return class_name


def accepted_options(folder: Path) -> tuple[str, ...]:
    """The options ``load_diffusers_adapter`` takes for ``folder``'s pipeline class (reads model_index.json)."""
    return PIPELINE_OPTIONS[check_diffusers_folder(folder)]


def check_option_values(folder: Path, options: Mapping[str, Any], *, where: str) -> None:
    """Refuse an option ``folder``'s adapter does not take, or a value it would refuse (a size that is not a
    multiple of what the pipeline takes, a clip shorter than one latent frame...), naming the option, the value and
    what is expected; reads only the folder's small config files, no weights."""
    class_name = check_diffusers_folder(folder)
    unknown = sorted(set(options) - set(PIPELINE_OPTIONS[class_name]))
    if unknown:
        raise ConfigError(f"{where}: option(s) {', '.join(unknown)} do not apply to a {class_name}; it takes "
                          f"{', '.join(PIPELINE_OPTIONS[class_name])}")
    PIPELINE_ADAPTERS[class_name].checked_options(folder, options, where=where)


def load_diffusers_adapter(folder: Path, settings: AdapterSettings, *,
                           options: Mapping[str, JSONValue] | None = None) -> DiffusersPipelineAdapter:
    """The adapter of ``folder``'s pipeline class, loaded with ``settings`` (nothing is downloaded).

    ``options`` are that adapter's own settings (``PIPELINE_OPTIONS``: e.g. ``{"num_frames": 16}`` for a video
    pipeline); an option the adapter does not take is refused, naming it and the ones it takes."""
    class_name = check_diffusers_folder(folder)
    given: dict[str, Any] = dict(options or {})
    check_option_values(folder, given, where=f"diffusers {folder} options")
    return PIPELINE_ADAPTERS[class_name](folder, settings, **given)
