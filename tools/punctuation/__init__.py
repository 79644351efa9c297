"""Training and evaluation of the punctuation model (``postprocess/models/punctuation.npz``).

- ``corpora``: the licensed corpora as conversations (turns, caption cues, pauses);
- ``speechlike``: rules that make written or typed training text look like speech;
- ``documents``: conversations tokenised and labelled, with boundary features per condition;
- ``train``: the recurrent tagger (torch, CPU), decision offsets, export to numpy arrays;
- ``loso``: the leave-one-source-out protocol that prints the quality table;
- ``pauses``: pause lengths at sentence ends, commas and elsewhere, measured on real speech.
"""
