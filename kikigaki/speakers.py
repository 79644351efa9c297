"""The one rule for naming speakers: by order of first appearance, or by label.

Ids never change (words, turns and segments keep pointing at the same speaker); only
``Speaker.name`` is set. Unnamed diarizer labels are shown as 話者1, 話者2…
(:meth:`Episode.speaker_name`), numbered in the order this module puts ``speakers`` in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from kikigaki.document import Episode, Speaker


def speakers_by_appearance(episode: Episode) -> list[Speaker]:
    """Every speaker the episode mentions, in order of first appearance: by the turns'
    times, then those only named on segments or sentences (a caption file's voices)."""
    known = {speaker.id: speaker for speaker in episode.speakers}
    turns = sorted(episode.turns, key=lambda turn: turn.start)
    ids: Iterable[str | None] = (
        *(turn.speaker for turn in turns),
        *(segment.speaker for segment in episode.segments),
        *(sentence.speaker for sentence in episode.sentences),
        *known,
    )
    order = [speaker_id for speaker_id in dict.fromkeys(ids) if speaker_id]
    return [known.get(speaker_id, Speaker(id=speaker_id)) for speaker_id in order]


def name_speakers(
    episode: Episode,
    names: Sequence[str] = (),
    by_label: Mapping[str, str] | None = None,
) -> Episode:
    """``names[i]`` for the i-th speaker to appear, then ``by_label[id]`` over those.

    Fewer names than speakers name the first ones; extra names are ignored; blank names
    leave a speaker as it was."""
    speakers = speakers_by_appearance(episode)
    chosen = {s.id: n.strip() for s, n in zip(speakers, names, strict=False) if n.strip()}
    chosen.update({k: v.strip() for k, v in (by_label or {}).items() if v.strip()})
    named = [
        speaker.model_copy(update={"name": chosen[speaker.id]}) if speaker.id in chosen
        else speaker
        for speaker in speakers
    ]
    return episode.with_stage("name-speakers", speakers=named)
