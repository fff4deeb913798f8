"""Media I/O for the whole project: read and write images, videos and audio with one resampler and one set of
checks. Every error is a :class:`~nextgpt.core.errors.MediaError` naming the file (or the array) and what was
expected.

Arrays: images ``(H, W, 3)`` uint8 RGB, videos ``(T, H, W, 3)`` uint8 RGB, audio 1-D mono float waveforms.

* reading: :func:`read_image`, :func:`read_video` / :func:`decode_video` (frames and frame rate),
  :func:`read_audio`, and :func:`read_media`, the one modality -> reader table;
* cheap checks before heavy work: :func:`check_image_header`, :func:`check_video_header`,
  :func:`audio_sample_rate`;
* resampling: :func:`resample_audio` (``scipy.signal.resample_poly``; why in ``resample.py``);
* the results store's lossless bytes: :func:`encode_image` (PNG), :func:`encode_video` (animated PNG that keeps
  frozen frames), :func:`encode_audio` (float WAV), with :data:`STORED_SUFFIX`;
* files: :func:`write_png`, :func:`write_video` (MP4, or GIF for odd sizes), :func:`write_wav` (16-bit PCM).

Model preprocessing (ImageBind's resize/crop/normalise, log-mel clips) is not I/O and lives with the model in
``nextgpt.model.encoder.media``.
"""

from nextgpt.core.media.apng import FRAME_COUNT_KEY, VIDEO_FPS, encode_video, read_apng
from nextgpt.core.media.audio import audio_sample_rate, encode_audio, read_audio, write_wav
from nextgpt.core.media.by_modality import STORED_SUFFIX, read_media
from nextgpt.core.media.checks import ImageArray, VideoArray, Waveform
from nextgpt.core.media.images import check_image_header, encode_image, read_image, write_png
from nextgpt.core.media.resample import RESAMPLER, resample_audio
from nextgpt.core.media.video import Video, check_video_header, decode_video, read_video, write_video

__all__ = [
    "FRAME_COUNT_KEY",
    "RESAMPLER",
    "STORED_SUFFIX",
    "VIDEO_FPS",
    "ImageArray",
    "Video",
    "VideoArray",
    "Waveform",
    "audio_sample_rate",
    "check_image_header",
    "check_video_header",
    "decode_video",
    "encode_audio",
    "encode_image",
    "encode_video",
    "read_apng",
    "read_audio",
    "read_image",
    "read_media",
    "read_video",
    "resample_audio",
    "write_png",
    "write_video",
    "write_wav",
]
