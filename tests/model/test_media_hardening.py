"""Issue 12, cases 4 and 7 (media): decompression bombs, audio at another rate, a video without a video stream.

Before: ``generate --image bomb.png`` (header 20000 x 20000) ended in PIL's DecompressionBombError traceback; a
44.1 kHz ``--audio`` told CLI users to pass ``resample=True``, which the CLI did not have.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile
from cli_helpers import run_cli
from PIL import Image

from nextgpt.core.errors import MediaError
from nextgpt.model.encoder import media
from nextgpt.model.nextgpt_model import NextGPT


def write_png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that claims ``width`` x ``height`` pixels but holds none: a few dozen bytes, nothing allocated."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("side", [20000, 10000])  # above twice Pillow's limit (its error) and above it (a warning)
def test_a_decompression_bomb_names_the_file_and_the_limit(tmp_path: Path, side: int) -> None:
    bomb = write_png_header(tmp_path / "bomb.png", side, side)
    with pytest.raises(MediaError) as error:
        media.load_image(bomb)
    message = str(error.value)
    assert str(bomb) in message and "too large to decode safely" in message
    assert f"the limit is {Image.MAX_IMAGE_PIXELS} pixels" in message and "downscale it" in message


def test_generate_refuses_a_bomb_before_loading_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          model_never_loaded: None) -> None:
    bomb = write_png_header(tmp_path / "bomb.png", 20000, 20000)
    code, _, err = run_cli(["generate", "--text", "hi", "--image", str(bomb), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "bomb.png is too large to decode safely" in err and "Traceback" not in err


def test_cd_rate_audio_says_what_the_cli_user_can_do(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    model_never_loaded: None) -> None:
    cd = tmp_path / "cd_quality.wav"
    soundfile.write(cd, np.zeros(44100, dtype=np.float32), 44100)
    code, _, err = run_cli(["generate", "--text", "hi", "--audio", str(cd), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "cd_quality.wav is sampled at 44100 Hz; expected 16000 Hz. Pass --resample" in err
    assert "resample=True" not in err


def test_resample_flag_generates_from_cd_rate_audio(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch, tiny_model: NextGPT) -> None:
    monkeypatch.setattr("benchmarks.cli.model_commands.load_model_from_args", lambda args: tiny_model)
    cd = tmp_path / "cd_quality.wav"
    soundfile.write(cd, np.sin(np.linspace(0, 2000, 44100)).astype(np.float32), 44100)
    out = tmp_path / "answer"
    code, stdout, err = run_cli(["generate", "--text", "what is this sound?", "--audio", str(cd), "--resample",
                                 "--max-new-tokens", "3", "--out", str(out), "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["files"][0] == str(out / "answer.txt")


def test_library_message_keeps_the_argument(tmp_path: Path) -> None:
    cd = tmp_path / "cd_quality.wav"
    soundfile.write(cd, np.zeros(44100, dtype=np.float32), 44100)
    with pytest.raises(MediaError, match=r"or pass resample=True"):
        media.load_audio(cd)


def test_a_file_without_a_video_stream_says_so(tmp_path: Path) -> None:
    sound = tmp_path / "tone.wav"
    soundfile.write(sound, np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(MediaError, match=r"video .*tone\.wav has no video stream"):
        media.load_video(sound)
