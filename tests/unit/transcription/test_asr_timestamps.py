import pytest

from transcription.backends.asr import fix_long_words, load_model
from transcription.config import SpeechConfig
from transcription.errors import ModelNotFoundError
from transcription.types import Word


def test_word_absorbing_a_pause_is_clamped():
    words = [Word(3.3, 3.5, "情"), Word(3.5, 4.02, "况"), Word(4.02, 10.6, "在"), Word(10.6, 10.8, "市")]
    fixed = fix_long_words(words)
    assert fixed[2].start == pytest.approx(10.0) and fixed[2].end == 10.6
    assert fixed[:2] == tuple(words[:2]) and fixed[3] == words[3]


def test_missing_model_dir_tells_how_to_fix(tmp_path):
    pytest.importorskip("faster_whisper")
    with pytest.raises(ModelNotFoundError, match="install_speech.sh"):
        load_model(SpeechConfig(model_dir=tmp_path))


def test_missing_diarization_dir_tells_how_to_fix(tmp_path):
    from transcription.backends.diarize import load_pipeline

    with pytest.raises(ModelNotFoundError, match="install_speech.sh"):
        load_pipeline(str(tmp_path / "nope"))


def test_first_word_stranded_before_a_gap_joins_its_segment():
    words = [Word(4.02, 4.94, "在"), Word(11.02, 11.32, "市"), Word(11.32, 11.56, "场")]
    fixed = fix_long_words(words)
    assert fixed[0].end == 11.02 and fixed[0].start == pytest.approx(11.02 - 0.6)
    assert fixed[1:] == tuple(words[1:])
