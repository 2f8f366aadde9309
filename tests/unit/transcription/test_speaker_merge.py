import numpy as np

from transcription.merge import (
    SpeakerTurn,
    assign_speakers,
    frame_db,
    is_crosstalk,
    merge_channels,
    speaker_at,
    split_on_pauses,
)
from transcription.types import Word

TURNS = [SpeakerTurn(0.0, 3.0, "A"), SpeakerTurn(3.2, 6.0, "B")]


def _words(spec):
    return tuple(Word(s, e, t, 0.9) for s, e, t in spec)


def test_speaker_at_prefers_overlap_then_nearest():
    assert speaker_at(0.5, 1.0, TURNS) == "A"
    assert speaker_at(2.9, 3.6, TURNS) == "B"  # 0.1 s with A, 0.4 s with B
    assert speaker_at(6.5, 7.0, TURNS) == "B"  # no overlap: nearest
    assert speaker_at(1.0, 2.0, []) is None


def test_segment_split_on_speaker_change():
    words = _words([(0.2, 0.6, "您好"), (0.6, 1.0, "请问"), (3.3, 3.8, "我想"), (3.8, 4.2, "查询")])
    segs = assign_speakers([(0.2, 4.2, "您好请问我想查询", words)], TURNS)
    assert [(s.speaker, s.text) for s in segs] == [("A", "您好请问"), ("B", "我想查询")]
    assert segs[1].start == 3.3 and segs[1].words[0].text == "我想"
    assert [s.id for s in segs] == [0, 1]


def test_single_short_word_island_is_smoothed():
    turns = [SpeakerTurn(0, 1.0, "A"), SpeakerTurn(1.0, 1.2, "B"), SpeakerTurn(1.2, 3.0, "A")]
    words = _words([(0.2, 0.9, "好的"), (1.0, 1.2, "嗯"), (1.2, 2.0, "没问题")])
    segs = assign_speakers([(0.2, 2.0, "好的嗯没问题", words)], turns)
    assert [(s.speaker, s.text) for s in segs] == [("A", "好的嗯没问题")]


def test_segment_without_words_goes_whole():
    segs = assign_speakers([(3.5, 5.0, "嗯", ())], TURNS)
    assert segs[0].speaker == "B"


def test_stereo_merge_orders_by_time_and_labels_channels():
    left = [
        (0.0, 1.0, "您好", _words([(0.0, 1.0, "您好")])),
        (2.0, 3.0, "好的", _words([(2.0, 3.0, "好的")])),
    ]
    right = [(1.1, 1.9, "你好", _words([(1.1, 1.9, "你好")]))]
    segs = merge_channels([left, right], ("LEFT", "RIGHT"))
    assert [(s.speaker, s.text) for s in segs] == [("LEFT", "您好"), ("RIGHT", "你好"), ("LEFT", "好的")]


def test_stereo_merge_drops_crosstalk_segments():
    sr = 16000
    t = np.arange(sr * 3) / sr
    loud = 0.3 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
    quiet = (loud * 0.01).astype(np.float32)  # -40 dB leak of the left party into the right channel
    samples = np.stack([loud, quiet])
    left = [(0.0, 2.0, "您好", _words([(0.0, 2.0, "您好")]))]
    right = [(0.5, 1.5, "您好", _words([(0.5, 1.5, "您好")]))]
    segs = merge_channels([left, right], ("LEFT", "RIGHT"), samples, sr)
    assert [(s.speaker, s.text) for s in segs] == [("LEFT", "您好")]


def test_crosstalk_needs_a_large_margin():
    a = frame_db(np.full(16000, 0.1, dtype=np.float32))
    b = frame_db(np.full(16000, 0.05, dtype=np.float32))  # only 6 dB quieter
    assert not is_crosstalk(0.0, 1.0, b, a)


def test_split_on_pauses():
    words = _words([(0.0, 0.5, "您好"), (0.5, 1.0, "请问"), (5.0, 5.5, "好的"), (5.6, 6.0, "稍等")])
    out = split_on_pauses([(0.0, 6.0, "您好请问好的稍等", words), (7.0, 8.0, "嗯", ())])
    assert [(a, b, t) for a, b, t, _ in out] == [
        (0.0, 1.0, "您好请问"),
        (5.0, 6.0, "好的稍等"),
        (7.0, 8.0, "嗯"),
    ]
    assert len(out[1][3]) == 2
