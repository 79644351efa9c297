"""Hotwords for each window: the terms already heard first, within the prompt budget."""

from __future__ import annotations

from postprocess.glossary import Glossary, GlossaryTerm
from postprocess.hotwords import pick_hotwords

GLOSSARY = Glossary((
    GlossaryTerm("TensorFlow", misheard=("テンサーフロー",)),
    GlossaryTerm("PyTorch"),
    GlossaryTerm("LSTM", misheard=("LSDM",)),
    GlossaryTerm("Andrej Karpathy", category="person"),
))


def test_first_window_gets_the_glossary_in_order_without_people() -> None:
    assert pick_hotwords(GLOSSARY) == "TensorFlow PyTorch LSTM"


def test_terms_heard_so_far_come_first_most_recent_first() -> None:
    heard = "昔はテンサーフローを使っていて、LSDMの話もしました。Andrej Karpathyの動画"
    assert pick_hotwords(GLOSSARY, heard) == "Andrej Karpathy LSTM TensorFlow PyTorch"


def test_the_prompt_budget_is_kept() -> None:
    assert pick_hotwords(GLOSSARY, max_chars=12) == "TensorFlow"
    assert pick_hotwords(Glossary()) == ""
