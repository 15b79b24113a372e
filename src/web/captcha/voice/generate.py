#!/usr/bin/env python3
"""Generates the captcha's spoken Italian digits, once (they are committed): Debian's espeak-ng
says each digit, the leading and trailing silence is trimmed, and the sound is halved to
11025 Hz, 16-bit mono. Run from this folder: `python3 generate.py` (needs `espeak-ng`)."""

import array
import io
import subprocess
import wave

WORDS = ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove"]
SILENCE = 300  # samples quieter than this (of 32767) count as silence

for digit, word in enumerate(WORDS):
    spoken = subprocess.run(
        ["espeak-ng", "-v", "it", "-s", "140", "-a", "180", "--stdout", word],
        check=True,
        capture_output=True,
    ).stdout
    with wave.open(io.BytesIO(spoken)) as source:
        assert source.getnchannels() == 1 and source.getsampwidth() == 2
        rate = source.getframerate()
        samples = array.array("h", source.readframes(source.getnframes()))
    loud = [i for i, s in enumerate(samples) if abs(s) > SILENCE]
    samples = samples[loud[0] : loud[-1] + 1]
    halved = array.array("h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2)))
    with wave.open(f"it-{digit}.wav", "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate // 2)
        out.writeframes(halved.tobytes())
    print(f"it-{digit}.wav: {word}, {len(halved)} samples at {rate // 2} Hz")
