"""Training and evaluation of the punctuation model (``postprocess/models/punctuation.npz``).

- ``corpora``: the licensed corpora as conversations (turns, caption cues, pauses);
- ``speechlike``: rules that make written or typed training text look like speech;
- ``documents``: conversations tokenised and labelled, with boundary features per condition;
- ``train``: the recurrent tagger (torch, CPU), decision offsets, export to numpy arrays;
- ``loso``: the leave-one-source-out protocol that prints the quality table;
- ``simulate``: the run-time conditions (turns, cues, timed words) drawn for training;
- ``pauses``: pause lengths at sentence ends, commas and elsewhere, measured on real speech;
- ``eval_audio``: sentence ends and commas on the joined Common Voice clips, with and
  without segment ends and pauses;
- ``sample_lines``: random sentences of a re-cleaned transcript, for reading.
"""
