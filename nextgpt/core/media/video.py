"""Videos: decode any video FFmpeg reads (or a stored animated PNG) as ``(T, H, W, 3)`` uint8 frames; write MP4
(or GIF) files.

``.apng`` files are the results store's videos and are read with :func:`~nextgpt.core.media.apng.read_apng`,
which keeps frozen frames; everything else goes through FFmpeg (PyAV), frames converted to rgb24.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
from PIL import Image

from nextgpt.core.errors import MediaError
from nextgpt.core.media.apng import VIDEO_FPS, read_apng
from nextgpt.core.media.checks import VideoArray, as_uint8, check_video_array, require_file
from nextgpt.core.media.images import opened_image

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.stream import VideoStream

#: What FFmpeg-read videos are expected to be, for error messages.
FFMPEG_FORMATS = "MP4, GIF, WebM or another video format FFmpeg reads"
#: The frame rate assumed when a video's container states none.
DEFAULT_FPS = 8.0


class Video(NamedTuple):
    frames: VideoArray
    fps: float


def decode_video(path: str | Path) -> Video:
    """Every frame of the video at ``path`` with its frame rate. Missing files, undecodable files, files with no
    video stream and videos without frames raise MediaError naming the file."""
    if _is_apng(path):
        return Video(read_apng(require_file(path, "video")), float(VIDEO_FPS))
    with _opened_video(path) as (container, stream):
        fps = float(stream.average_rate or stream.guessed_rate or 0) or DEFAULT_FPS
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    if not frames:
        raise MediaError(f"video {path} holds no frames")
    return Video(check_video_array(np.stack(frames), f"video {path}"), fps)


def read_video(path: str | Path) -> VideoArray:
    """``(T, H, W, 3)`` uint8 frames of the video at ``path`` (see :func:`decode_video`)."""
    return decode_video(path).frames


def check_video_header(path: str | Path) -> None:
    """Check a video file cheaply, before any model loads: it opens, has a video stream and its first frame
    decodes (a file FFmpeg merely probes -- garbage after a PNG signature, a text file taken for subtitles --
    is refused here, not after the model has loaded)."""
    if _is_apng(path):
        with opened_image(path, "video", "an animated PNG") as image:
            image.load()
        return
    with _opened_video(path) as (container, stream):
        if next(container.decode(stream), None) is None:
            raise MediaError(f"video {path} holds no frames")


def _is_apng(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".apng"


@contextlib.contextmanager
def _opened_video(path: str | Path) -> Iterator[tuple[InputContainer, VideoStream]]:
    """The opened container and its first video stream; what FFmpeg raises here or in the ``with`` body becomes
    a MediaError naming the file."""
    import av

    path = require_file(path, "video")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"video {path} has no video stream; expected {FFMPEG_FORMATS}")
            yield container, container.streams.video[0]
    except av.error.FFmpegError as error:
        raise MediaError(f"video {path} cannot be decoded ({error}); expected {FFMPEG_FORMATS}") from error


def write_video(frames: npt.ArrayLike, path: str | Path, fps: int = 8) -> Path:
    """``(T, H, W, 3)`` uint8 frames -> ``path``; ``.mp4`` is encoded with FFmpeg's MPEG-4 codec (qscale 2),
    anything else as a GIF with Pillow. MPEG-4 needs even frame sizes; other sizes fall back to GIF. Returns
    the path written (which says which)."""
    path = Path(path)
    video = check_video_array(as_uint8(frames, f"video for {path}"), f"video for {path}")
    if fps <= 0:
        raise MediaError(f"video for {path}: expected a positive frame rate, got {fps}")
    height, width = video.shape[1:3]
    if path.suffix.lower() == ".mp4" and height % 2 == 0 and width % 2 == 0:
        _write_mpeg4(video, path, fps)
        return path
    path = path.with_suffix(".gif")
    pictures = [Image.fromarray(frame) for frame in video]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=int(1000 / fps), loop=0)
    return path


def _write_mpeg4(video: VideoArray, path: Path, fps: int) -> None:
    import av

    height, width = video.shape[1:3]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"qscale": "2"}
        for frame in video:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
