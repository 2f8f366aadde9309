from pathlib import Path

import pytest

from transcription.config import DIARIZATION_DIRNAME, WHISPER_DIRNAME, ConfigError, SpeechConfig


def test_defaults_point_at_local_model_dirs():
    c = SpeechConfig()
    assert c.asr_model.endswith(WHISPER_DIRNAME)
    assert c.diarization_pipeline.endswith(DIARIZATION_DIRNAME)
    assert (c.compute_type, c.beam_size, c.cpu_threads, c.num_speakers, c.vad) == ("int8", 5, 2, 2, True)
    assert c.asr_is_local and c.diarization_is_local


def test_from_mapping_reads_every_key(tmp_path: Path):
    env = {
        "QA_MODEL_DIR": str(tmp_path),
        "QA_ASR_COMPUTE_TYPE": "float32",
        "QA_ASR_BEAM_SIZE": "3",
        "QA_ASR_THREADS": "4",
        "QA_ASR_HOTWORDS": "宽带, 工号，光猫,,",
        "QA_HF_TOKEN": "hf_x",
        "QA_NUM_SPEAKERS": "3",
        "QA_MIN_SPEAKERS": "2",
        "QA_MAX_SPEAKERS": "4",
    }
    c = SpeechConfig.from_mapping(env)
    assert c.model_dir == tmp_path
    assert c.asr_model == str(tmp_path / WHISPER_DIRNAME)
    assert c.diarization_pipeline == str(tmp_path / DIARIZATION_DIRNAME)
    assert (c.compute_type, c.beam_size, c.cpu_threads) == ("float32", 3, 4)
    assert c.hotwords == ("宽带", "工号", "光猫")
    assert (c.num_speakers, c.min_speakers, c.max_speakers) == (3, 2, 4)
    assert c.hf_token == "hf_x" and "hf_x" not in repr(c)


def test_hub_names_and_speaker_range():
    c = SpeechConfig.from_mapping(
        {
            "QA_ASR_MODEL": "large-v3",
            "QA_DIARIZATION_PIPELINE": "pyannote/speaker-diarization-3.1",
            "QA_MAX_SPEAKERS": "5",
        }
    )
    assert c.asr_model == "large-v3" and not c.asr_is_local
    assert not c.diarization_is_local
    assert c.num_speakers is None and c.max_speakers == 5


def test_empty_mapping_is_default():
    assert SpeechConfig.from_mapping({}) == SpeechConfig()


@pytest.mark.parametrize(
    "env",
    [
        {"QA_ASR_BEAM_SIZE": "five"},
        {"QA_ASR_COMPUTE_TYPE": "int3"},
        {"QA_ASR_THREADS": "-1"},
        {"QA_MIN_SPEAKERS": "4", "QA_MAX_SPEAKERS": "2"},
        {"QA_ASR_LANGUAGE": "fr"},
    ],
)
def test_invalid_values_raise(env):
    with pytest.raises(ConfigError):
        SpeechConfig.from_mapping(env)
