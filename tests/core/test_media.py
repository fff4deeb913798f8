"""nextgpt.core.media: what is written comes back, and every check refuses bad input naming the file and what
was expected."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image, PngImagePlugin

from nextgpt.core.errors import ConfigError, MediaError
from nextgpt.core.media import (
    FRAME_COUNT_KEY,
    STORED_SUFFIX,
    VIDEO_FPS,
    audio_sample_rate,
    check_image_header,
    check_video_header,
    decode_video,
    encode_audio,
    encode_image,
    encode_video,
    read_audio,
    read_image,
    read_media,
    read_video,
    write_png,
    write_video,
    write_wav,
)

RNG = np.random.default_rng(0)


def _frames(count: int = 6, side: int = 16) -> np.ndarray:
    return np.random.default_rng(count).integers(0, 256, (count, side, side, 3), dtype=np.uint8)


def _tone(seconds: float = 0.5, rate: int = 16000, frequency: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def _store(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------------ round trips
def test_stored_image_round_trip_is_lossless_and_converts_to_rgb(tmp_path: Path) -> None:
    pixels = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = _store(tmp_path, "a" + STORED_SUFFIX["image"], encode_image(Image.fromarray(pixels)))
    assert np.array_equal(read_image(path), pixels)
    assert np.array_equal(read_media("image", path), pixels)
    rgba = _store(tmp_path, "rgba.png", encode_image(Image.fromarray(np.dstack([pixels, pixels[..., :1]]))))
    assert np.array_equal(read_image(rgba), pixels)  # alpha dropped when encoding


@pytest.mark.parametrize("video", [
    _frames(),
    np.concatenate([_frames(3), np.repeat(_frames(3)[2:], 5, axis=0)]),  # a frozen tail
    np.repeat(_frames(1), 7, axis=0),  # a still: Pillow writes one frame
], ids=["moving", "frozen-tail", "still"])
def test_stored_video_round_trip_keeps_every_frame(tmp_path: Path, video: np.ndarray) -> None:
    path = _store(tmp_path, "v" + STORED_SUFFIX["video"], encode_video(video))
    assert np.array_equal(read_video(path), video)
    assert np.array_equal(read_media("video", path), video)
    frames, fps = decode_video(path)
    assert fps == VIDEO_FPS and frames.shape == video.shape
    check_video_header(path)


def test_stored_audio_round_trip_is_exact(tmp_path: Path) -> None:
    wave = _tone()
    path = _store(tmp_path, "a" + STORED_SUFFIX["audio"], encode_audio(wave, 22050))
    samples, rate = read_audio(path)
    assert rate == 22050 and samples.dtype == np.float32 and np.array_equal(samples, wave)
    assert audio_sample_rate(path) == 22050
    assert np.array_equal(read_media("audio", path), wave)


def test_file_writers_round_trip(tmp_path: Path) -> None:
    pixels = RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    assert np.array_equal(read_image(write_png(Image.fromarray(pixels), tmp_path / "p.png")), pixels)
    check_image_header(tmp_path / "p.png")

    flat = np.full((5, 16, 16, 3), 120, dtype=np.uint8)  # MPEG-4 is lossy: a flat grey survives within 2
    mp4 = write_video(flat, tmp_path / "v.mp4", fps=5)
    assert mp4.suffix == ".mp4"
    frames, fps = decode_video(mp4)
    assert frames.shape == flat.shape and fps == 5 and np.abs(frames.astype(int) - 120).max() <= 2
    check_video_header(mp4)

    odd = np.zeros((3, 15, 15, 3), dtype=np.uint8)
    odd[1] = 255
    gif = write_video(odd, tmp_path / "odd.mp4")  # MPEG-4 needs even sizes: a GIF instead
    assert gif == tmp_path / "odd.gif" and np.array_equal(read_video(gif), odd)

    wave = _tone() * 4  # clipped to [-1, 1] by the 16-bit writer
    samples, rate = read_audio(write_wav(wave, tmp_path / "w.wav", 16000))
    assert rate == 16000 and np.abs(samples - np.clip(wave, -1, 1)).max() <= 1 / 32768
    assert soundfile.info(str(tmp_path / "w.wav")).subtype == "PCM_16"


def test_stereo_is_averaged_and_noted(tmp_path: Path) -> None:
    stereo = RNG.uniform(-0.5, 0.5, (1600, 2))
    soundfile.write(tmp_path / "s.wav", stereo, 16000, subtype="DOUBLE")
    notes: list[str] = []
    samples, _ = read_audio(tmp_path / "s.wav", dtype="float64", notes=notes)
    assert samples.dtype == np.float64 and np.array_equal(samples, stereo.mean(axis=1))
    assert notes == [f"{tmp_path / 's.wav'}: downmixed 2 channels to mono by averaging"]


def test_image_conversions_are_noted(tmp_path: Path) -> None:
    Image.new("L", (4, 3), 77).save(tmp_path / "grey.png")
    Image.new("RGBA", (4, 3), (1, 2, 3, 4)).save(tmp_path / "alpha.png")
    notes: list[str] = []
    assert np.array_equal(read_image(tmp_path / "grey.png", notes=notes), np.full((3, 4, 3), 77, np.uint8))
    assert np.array_equal(read_image(tmp_path / "alpha.png", notes=notes)[0, 0], [1, 2, 3])
    assert notes == [f"{tmp_path / 'grey.png'}: converted L image to RGB (channels replicated)",
                     f"{tmp_path / 'alpha.png'}: converted RGBA image to RGB (alpha dropped)"]


def test_resample_on_reading_is_noted_and_otherwise_refused(tmp_path: Path) -> None:
    soundfile.write(tmp_path / "cd.wav", _tone(rate=44100), 44100, subtype="FLOAT")
    notes: list[str] = []
    samples, rate = read_audio(tmp_path / "cd.wav", 16000, resample=True, notes=notes)
    assert rate == 16000 and len(samples) == 8000 and samples.dtype == np.float32
    assert notes == [f"{tmp_path / 'cd.wav'}: resampled 44100 Hz -> 16000 Hz with scipy.signal.resample_poly"]
    with pytest.raises(MediaError, match=r"audio .*cd\.wav is sampled at 44100 Hz; expected 16000 Hz \(resample it, "
                                         r"e\.g\. `sox in\.wav -r 16000 out\.wav`, or pass resample=True"):
        read_audio(tmp_path / "cd.wav", 16000)
    with pytest.raises(MediaError, match=r"or pass --resample to convert"):
        read_audio(tmp_path / "cd.wav", 16000, resample_option="--resample")
    with pytest.raises(MediaError, match=r"cd\.wav is sampled at 44100 Hz; expected 16000 Hz \(resample it, e\.g\. "
                                         r"`sox in\.wav -r 16000 out\.wav`\)$"):  # read_media never resamples
        read_media("audio", tmp_path / "cd.wav", sample_rate=16000)


# ------------------------------------------------------------------------------------ checks: reading
@pytest.mark.parametrize("modality", ["image", "video", "audio"])
def test_a_missing_file_is_named(tmp_path: Path, modality: str) -> None:
    with pytest.raises(MediaError, match=rf"{modality} file .*nope\.bin does not exist or is not a file"):
        read_media(modality, tmp_path / "nope.bin")


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"image file .* does not exist or is not a file"):
        read_image(tmp_path)


def test_an_unknown_modality_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown modality 'smell'; expected one of image, video, audio"):
        read_media("smell", tmp_path / "x")


def test_undecodable_images_are_named(tmp_path: Path) -> None:
    garbage = _store(tmp_path, "garbage.png", b"this is not a png")
    with pytest.raises(MediaError, match=r"image .*garbage\.png cannot be read as an image \(.*\); expected PNG"):
        read_image(garbage)
    with pytest.raises(MediaError, match=r"garbage\.png cannot be read"):
        check_image_header(garbage)
    good = encode_image(Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    with pytest.raises(MediaError, match=r"image .*truncated\.png cannot be read as an image"):
        read_image(_store(tmp_path, "truncated.png", good[:200]))


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [20000, 10000])  # above twice Pillow's limit (its error) and above it (a warning)
def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path, side: int) -> None:
    bomb = _store(tmp_path, "bomb.png", _png_header_only(side, side))
    for check in (read_image, check_image_header):
        with pytest.raises(MediaError, match=rf"image .*bomb\.png is too large to decode safely .*the limit is "
                                             rf"{Image.MAX_IMAGE_PIXELS} pixels"):
            check(bomb)


def test_undecodable_videos_are_named(tmp_path: Path) -> None:
    fake = _store(tmp_path, "fake.mp4", b"\x00\x00\x00\x18ftypmp42 not really")
    for check in (read_video, check_video_header):
        with pytest.raises(MediaError, match=r"video .*fake\.mp4 cannot be decoded \(.*\); expected MP4, GIF, WebM"):
            check(fake)
    soundfile.write(tmp_path / "tone.wav", _tone(), 16000)
    with pytest.raises(MediaError, match=r"video .*tone\.wav has no video stream; expected MP4"):
        read_video(tmp_path / "tone.wav")
    broken = _store(tmp_path, "broken.apng", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    for check in (read_video, check_video_header):
        with pytest.raises(MediaError, match=r"video .*broken\.apng cannot be read .*expected an animated PNG"):
            check(broken)


def _apng_recording(frames: np.ndarray, recorded: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(FRAME_COUNT_KEY, recorded)
    pictures = [Image.fromarray(frame) for frame in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="PNG", save_all=True, append_images=pictures[1:], duration=125, pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize("recorded, message", [
    ("5", r"video .*v\.apng: holds 3 frames at 8 fps but records 5; the file was not written by this suite"),
    ("many", r"video .*v\.apng: its 'nextgpt-bench frames' text chunk is 'many'; expected a positive frame count"),
    ("0", r"text chunk is '0'; expected a positive frame count"),
])
def test_a_stored_video_must_hold_its_recorded_frames(tmp_path: Path, recorded: str, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        read_video(_store(tmp_path, "v.apng", _apng_recording(_frames(3), recorded)))


def test_undecodable_empty_and_non_finite_audio_is_named(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"audio .*noise\.wav cannot be read \(.*\); expected a WAV, FLAC, OGG or MP3"):
        read_audio(_store(tmp_path, "noise.wav", b"RIFF....WAVEfmt garbage"))
    with pytest.raises(MediaError, match=r"audio .*noise\.wav cannot be read"):
        audio_sample_rate(tmp_path / "noise.wav")
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(MediaError, match=r"audio .*empty\.wav holds no samples"):
        read_audio(tmp_path / "empty.wav")
    wave = _tone()
    wave[10] = np.nan
    soundfile.write(tmp_path / "nan.wav", wave, 16000, subtype="FLOAT")
    with pytest.raises(MediaError, match=r"audio .*nan\.wav contains NaN or infinite samples"):
        read_audio(tmp_path / "nan.wav")


def test_a_requested_sample_rate_must_be_positive(tmp_path: Path) -> None:
    soundfile.write(tmp_path / "a.wav", _tone(), 16000)
    with pytest.raises(MediaError, match=r"sample_rate for audio .*a\.wav: expected a positive integer sample rate "
                                         r"in Hz, got 0"):
        read_audio(tmp_path / "a.wav", 0, resample=True)


# ------------------------------------------------------------------------------------ checks: writing
@pytest.mark.parametrize("frames, message", [
    (np.zeros((0, 8, 8, 3), np.uint8), r"expected \(T, H, W, 3\) uint8 RGB frames with T, H, W > 0, got a uint8 "
                                       r"array of shape \(0, 8, 8, 3\)"),
    (np.zeros((2, 8, 8), np.uint8), r"expected \(T, H, W, 3\) .*, got a uint8 array of shape \(2, 8, 8\)"),
    (np.zeros((2, 8, 8, 4), np.uint8), r"expected \(T, H, W, 3\) .*, got a uint8 array of shape \(2, 8, 8, 4\)"),
    (np.full((2, 8, 8, 3), 0.5), r"expected uint8 pixel values in \[0, 255\], got a float64 array"),
    (np.full((2, 8, 8, 3), 256), r"expected pixel values in \[0, 255\], got values from 256 to 256"),
])
def test_video_writers_refuse_what_is_not_frames(tmp_path: Path, frames: np.ndarray, message: str) -> None:
    with pytest.raises(MediaError, match="video to encode: " + message):
        encode_video(frames)
    with pytest.raises(MediaError, match=r"video for .*v\.mp4: " + message):
        write_video(frames, tmp_path / "v.mp4")


def test_video_writers_take_exact_integer_frames() -> None:
    frames = _frames()
    assert encode_video(frames.astype(np.int64)) == encode_video(frames)


@pytest.mark.parametrize("samples, message", [
    (np.zeros(0, np.float32), r"holds no samples"),
    (np.zeros((100, 2), np.float32), r"expected a 1-D mono waveform \(samples,\), got shape \(100, 2\)"),
    (np.array([0.1, np.inf], np.float32), r"contains NaN or infinite samples"),
    (np.array(["a", "b"]), r"expected a float mono waveform in \[-1, 1\], got a <U1 array"),
    (np.zeros(4, np.int16), r"expected a float mono waveform in \[-1, 1\], got a int16 array"),
])
def test_audio_writers_refuse_what_is_not_a_mono_waveform(tmp_path: Path, samples: np.ndarray, message: str) -> None:
    with pytest.raises(MediaError, match="audio to encode" + r":? " + message):
        encode_audio(samples, 16000)
    with pytest.raises(MediaError, match=r"audio for .*a\.wav:? " + message):
        write_wav(samples, tmp_path / "a.wav")


@pytest.mark.parametrize("rate", [0, -16000, 16000.0, True])
def test_audio_writers_refuse_a_sample_rate_that_is_not_a_positive_integer(tmp_path: Path, rate: object) -> None:
    expected = rf"audio to encode: expected a positive integer sample rate in Hz, got {rate}"
    with pytest.raises(MediaError, match=expected):
        encode_audio(_tone(), rate)  # type: ignore[arg-type]
    with pytest.raises(MediaError, match=r"audio for .*a\.wav: expected a positive integer sample rate"):
        write_wav(_tone(), tmp_path / "a.wav", rate)  # type: ignore[arg-type]


def test_image_writers_refuse_an_empty_image(tmp_path: Path) -> None:
    empty = Image.new("RGB", (0, 5))
    with pytest.raises(MediaError, match=r"image to encode is empty \(0x5\); expected at least one pixel"):
        encode_image(empty)
    with pytest.raises(MediaError, match=r"image for .*e\.png is empty \(0x5\)"):
        write_png(empty, tmp_path / "e.png")
