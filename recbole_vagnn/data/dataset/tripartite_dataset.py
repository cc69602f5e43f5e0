"""Tripartite user / video / vlogger dataset on top of RecBole's atomic files.

Files of a dataset ``NAME`` (RecBole atomic format, tab separated, typed headers):

- ``NAME.inter``: ``user_id:token  item_id:token  timestamp:float`` (+ any extra columns);
  items are the micro-videos.
- ``NAME.item``: ``item_id:token  vlogger_id:token``, the one vlogger who published each video.
- ``NAME.uvl``: ``user_id:token  vlogger_id:token  [timestamp:float]``, explicit user-vlogger
  events (follows, homepage visits...) with their time, loaded by :meth:`_load_uvl` as RecBole's
  ``KnowledgeBasedDataset`` loads ``.kg``. A row without a time (or a file without the column) is
  an event known before training.

Vlogger ids of ``.item`` and ``.uvl`` are remapped into one id space (``.item`` first), user ids
of ``.uvl`` share the user space of ``.inter``. Bad input raises :class:`TripartiteDataError`
naming the file and the problem; rows that are dropped are counted in the log.

Several processes: the dataset, its split, Y and every graph built from them are deterministic
from the files and the config (the split's random order, if any, under RecBole's ``seed``, the
same on every rank), so every rank of a distributed run builds them identically.

The user-vlogger relation Y that models train on (:meth:`TripartiteDataset.user_vlogger_matrix`)
is built after RecBole's split, on the training split, so that nothing in it depends on a
validation or test interaction (``uvl_rule: leak_free``, the default):

- explicit events count only if they happened before the user's first held-out (validation or
  test) interaction; events at or after it are left out;
- the paper's rule (at least ``uvl_min_videos`` interacted videos of the vlogger, "more than two")
  counts the user's training interactions only;
- then users and vloggers with fewer than ``uvl_min_links`` links are dropped, to a fixed point.

A model asks for Y with ``user_vlogger_matrix(training=True)``: a dataset object that is not the
training split made by :meth:`TripartiteDataset.build` is then refused under ``leak_free``. The
split also gets ``link_lift`` (:mod:`recbole_vagnn.data.link_lift`), logged with the relation's
size before and after ``uvl_min_links``. Normalising the time field (``normalize_all``,
``normalize_field``) is refused: RecBole would rescale ``.inter`` times and not ``.uvl`` ones.

``cold_items`` (:mod:`recbole_vagnn.data.cold_items`) splits by video instead of by user: a share
of the videos is held out of training with all their interactions, half of them for validation
and the rest for test; Y then follows the same rules, with those splits as the held-out ones.

``uvl_rule: paper`` builds Y as the paper's Sec. 5.1 reads, from every interaction and every
event, the held-out ones included: it leaks the validation and test interactions into training
and exists to measure that effect.

Sequential models (SASRec, GRU4Rec...) load the same files as :class:`TripartiteSequentialDataset`
(and DIEN as :class:`TripartiteDIENDataset`): RecBole's ``SequentialDataset`` built on the
tripartite loading, with the ``item_id_list`` sequences those models read
(:func:`tripartite_class` picks the class as RecBole's ``create_dataset`` picks its own).
"""

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from recbole.data.dataset import Dataset, DIENDataset, SequentialDataset
from recbole.utils import FeatureSource, FeatureType

from recbole_vagnn.data.cold_items import choose_cold_videos, doubly_cold_count
from recbole_vagnn.data.link_lift import format_link_lift, link_lift
from recbole_vagnn.data.user_vlogger import core_filter, user_vlogger_links
from recbole_vagnn.utils.errors import InputError

USER_VLOGGER_SUFFIX = "uvl"


BOM = b"\xef\xbb\xbf"


def typed_header(path, separator="\t", encoding="utf-8", error=InputError):
    """``(first line as bytes, field names)`` of an atomic file whose typed header is well formed.

    Each field must be ``name:type`` with one of RecBole's feature types, separated by
    ``separator``; otherwise ``error`` (an :class:`InputError` class) names the file and the fault.
    """
    with open(path, "rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise error(
            f"{path}: the file is empty; line 1 must be the typed header, "
            "e.g. 'user_id:token<TAB>item_id:token<TAB>timestamp:float'"
        )
    text = first.removeprefix(BOM).decode(encoding or "utf-8", errors="replace").rstrip("\r\n")
    fields = text.split(separator)
    if len(fields) == 1 and "," in text:
        raise error(f"{path}: line 1 is comma-separated; atomic files separate fields by tabs")
    types = {kind.value for kind in FeatureType}
    for field in fields:
        name, _, kind = field.partition(":")
        if not kind:
            raise error(
                f"{path}: header field '{field}' has no type; write it as '{field}:token' (ids) or '{field}:float' (numbers)"
            )
        if kind not in types:
            raise error(f"{path}: header field '{field}' has the unknown type '{kind}'; use one of {sorted(types)}")
    return first, [field.partition(":")[0] for field in fields]


class TripartiteDataError(InputError, ValueError):
    """A tripartite dataset's files are malformed, inconsistent or incomplete."""


def _in_form(matrix, form):
    """``matrix`` as scipy ``coo`` or ``csr``, the forms RecBole's ``inter_matrix`` offers."""
    if form not in ("coo", "csr"):
        raise NotImplementedError(f"sparse matrix format [{form}] has not been implemented.")
    return matrix.tocoo() if form == "coo" else matrix.tocsr()


def _examples(values, limit=5):
    values = list(pd.unique(np.asarray(values)))
    shown = ", ".join(map(str, values[:limit]))
    return shown + (", ..." if len(values) > limit else "")


class TripartiteDataset(Dataset):
    """RecBole ``Dataset`` that also holds the vlogger of every video and user-vlogger interactions.

    Besides everything a RecBole dataset offers (so LightGCN, NGCF, SGL... run on it unchanged),
    it exposes :attr:`vlogger_num`, :attr:`item2vlogger` and the sparse matrices tripartite models
    need, with ``form=`` as RecBole's ``inter_matrix`` (X): :meth:`publish_matrix` (Z, vlogger x
    video), :meth:`user_vlogger_matrix` (Y, see the module docstring) and
    :meth:`watched_vlogger_matrix` (X Z^T, users x vloggers counted over the interactions). On a split (``train_data.dataset``) the interaction-based matrices use that
    split only.
    """

    def __init__(self, config):
        self._training_user_vlogger = None  # the training split's relation Y, set by build()
        self._graph_cache = {}  # cached_graph(): what is built once per (split) dataset object
        self.candidate_items = None  # cold_items: the videos a split's full ranking may rank (None: all)
        self.held_out_items = None  # cold_items, on the training split: the videos no training negative may be
        super().__init__(config)

    def _get_field_from_config(self):
        super()._get_field_from_config()
        self.vlogger_field = self.config["VLOGGER_ID_FIELD"] or "vlogger_id"
        self.uvl_feat = None
        normalized = self.config["normalize_field"] or []
        if self.config["normalize_all"] or self.time_field in normalized:
            # RecBole would rescale the .inter times and not the .uvl ones, and every timed follow
            # would then fall after the held-out interactions and out of the relation.
            raise TripartiteDataError(
                f"{self._path('inter')}: normalize_all / normalize_field would rescale '{self.time_field}' in .inter "
                f"but not in .uvl, which the leak-free relation compares it with; leave '{self.time_field}' out of "
                "normalize_field and set normalize_all: False"
            )

    def _path(self, suffix):
        return f"{self.dataset_path}/{self.dataset_name}.{suffix}"

    # ---- loading and validation -------------------------------------------------------------
    def _load_feat(self, filepath, source):
        header, _ = self._checked_header(filepath)
        with self._encoding_of(header):
            try:
                feat = super()._load_feat(filepath, source)
            except (ValueError, pd.errors.ParserError) as error:
                raise TripartiteDataError(self._unreadable(filepath, error)) from error
        return self._checked_feat(filepath, source, feat)

    def _checked_header(self, filepath):
        """``(first line as bytes, field names)`` of an atomic file, after checking the typed, tab-separated header."""
        separator = self.config["field_separator"]
        first, fields = typed_header(filepath, separator, self.config["encoding"], error=TripartiteDataError)
        if len(separator) == 1:
            self._check_field_counts(filepath, len(fields), separator)
        return first, fields

    @staticmethod
    def _check_field_counts(filepath, expected, separator):
        """Every non-blank line has the header's number of fields (pandas would pad or drop silently)."""
        data = np.fromfile(filepath, dtype=np.uint8)
        ends = np.flatnonzero(data == ord("\n"))
        if len(data) and data[-1] != ord("\n"):
            ends = np.append(ends, len(data))
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts - (data[np.maximum(ends - 1, 0)] == ord("\r"))
        separators = np.bincount(np.searchsorted(ends, np.flatnonzero(data == ord(separator))), minlength=len(ends))[
            : len(ends)
        ]
        wrong = np.flatnonzero((separators + 1 != expected) & (lengths > 0))
        if len(wrong):
            line = int(wrong[0])
            raise TripartiteDataError(
                f"{filepath}: line {line + 1} has {int(separators[line]) + 1} fields, the header declares "
                f"{expected} (fields are tab-separated){'; the file looks cut off' if line == len(ends) - 1 else ''}"
            )

    @contextmanager
    def _encoding_of(self, header):
        """Read a file that starts with a UTF-8 byte-order mark as 'utf-8-sig' (the mark is not data)."""
        encoding = self.config["encoding"]
        if not (header.startswith(BOM) and (encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")):
            yield
            return
        self.config["encoding"] = "utf-8-sig"
        try:
            yield
        finally:
            self.config["encoding"] = encoding

    def _unreadable(self, filepath, error):
        """One line saying which line of ``filepath`` pandas could not read, and why."""
        frame = pd.read_csv(
            filepath,
            sep=self.config["field_separator"],
            dtype=str,
            engine="python",
            encoding="utf-8-sig",
            keep_default_na=False,
        )
        for column in frame.columns:
            if not column.endswith(f":{FeatureType.FLOAT.value}"):
                continue
            values = frame[column].str.strip()
            bad = (values != "") & pd.to_numeric(values, errors="coerce").isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                return f"{filepath}: line {row + 2}: '{column}' must be a number, got {values.iloc[row]!r}"
        return f"{filepath}: {' '.join(str(error).split())}"

    def _checked_feat(self, filepath, source, feat):
        """Required columns present and filled, interactions timed, one vlogger per video."""
        name = source.value if isinstance(source, FeatureSource) else source
        required = {
            FeatureSource.INTERACTION.value: [self.uid_field, self.iid_field],
            FeatureSource.ITEM.value: [self.iid_field, self.vlogger_field],
            USER_VLOGGER_SUFFIX: [self.uid_field, self.vlogger_field],
        }.get(name)
        if required is None:
            return feat
        missing = [c for c in required if feat is None or c not in feat.columns]
        if missing:
            raise TripartiteDataError(
                f"{filepath}: missing column(s) {missing}; the header must declare them "
                f"(e.g. '{missing[0]}:token') and load_col must keep them"
            )
        if feat.empty and name != USER_VLOGGER_SUFFIX:  # no explicit event is allowed: the rule may link
            raise TripartiteDataError(f"{filepath}: the file has a header but no rows")
        empty = feat[required].isna().any(axis=1)
        if empty.any():
            rows = (np.flatnonzero(empty.values) + 2)[:5].tolist()
            raise TripartiteDataError(
                f"{filepath}: {int(empty.sum())} row(s) with an empty {required} field, first at line(s) {rows}"
            )
        if name == FeatureSource.INTERACTION.value and self.time_field in feat.columns:
            untimed = feat[self.time_field].isna().to_numpy()
            if untimed.any():  # RecBole would impute the mean and move users' held-out interactions
                raise TripartiteDataError(
                    f"{filepath}: {int(untimed.sum())} interaction(s) without a numeric '{self.time_field}', "
                    f"first at line {int(np.flatnonzero(untimed)[0]) + 2}; the split by time needs every one"
                )
        if name == FeatureSource.ITEM.value:
            feat = self._check_one_vlogger_per_video(feat, filepath)
        if name == USER_VLOGGER_SUFFIX and self.time_field in feat.columns:
            # An event without a time is known before training (RecBole would impute the mean).
            feat[self.time_field] = feat[self.time_field].fillna(-np.inf)
        return feat

    def _check_one_vlogger_per_video(self, item_feat, filepath):
        exact = item_feat.duplicated(subset=[self.iid_field, self.vlogger_field])
        if exact.any():
            self.logger.warning(f"{filepath}: dropped {int(exact.sum())} duplicate video-vlogger row(s)")
            item_feat = item_feat[~exact]
        clash = item_feat[self.iid_field].duplicated(keep=False)
        if clash.any():
            raise TripartiteDataError(
                f"{filepath}: {item_feat.loc[clash, self.iid_field].nunique()} video(s) have two or "
                f"more vloggers, e.g. {_examples(item_feat.loc[clash, self.iid_field])}; "
                "each video must have exactly one vlogger"
            )
        return item_feat

    def _load_uvl(self):
        """``NAME.uvl`` as a DataFrame of user, vlogger and (if present) time, like RecBole's ``_load_kg``.

        Read here rather than through ``_load_feat``: its ids belong to the user and vlogger fields
        that ``.inter`` and ``.item`` declare, so it must not register them as fields of its own.
        """
        path = self._path(USER_VLOGGER_SUFFIX)
        header, names = self._checked_header(path)
        columns = [field for field in (self.uid_field, self.vlogger_field, self.time_field) if field in names]
        with self._encoding_of(header):
            try:
                feat = pd.read_csv(
                    path,
                    sep=self.config["field_separator"],
                    header=0,
                    names=names,
                    usecols=columns,
                    dtype={field: (float if field == self.time_field else str) for field in columns},
                    encoding=self.config["encoding"],
                    engine="python",
                )
            except (ValueError, pd.errors.ParserError) as error:
                raise TripartiteDataError(self._unreadable(path, error)) from error
        return self._checked_feat(path, USER_VLOGGER_SUFFIX, feat)

    def _build_feat_name_list(self):
        feat_name_list = super()._build_feat_name_list()
        if self.uvl_feat is not None and not self.uvl_feat.empty:  # RecBole cannot remap an empty feat
            feat_name_list.append("uvl_feat")
        return feat_name_list

    def _load_data(self, token, dataset_path):
        super()._load_data(token, dataset_path)
        if not Path(self._path(USER_VLOGGER_SUFFIX)).is_file():
            raise TripartiteDataError(f"{self._path(USER_VLOGGER_SUFFIX)}: file not found")
        self.uvl_feat = self._load_uvl()
        if self.item_feat is None:
            raise TripartiteDataError(
                f"{self._path('item')}: file not found; a tripartite dataset needs the vlogger of every video"
            )
        orphan = ~self.inter_feat[self.iid_field].isin(self.item_feat[self.iid_field])
        if orphan.any():
            raise TripartiteDataError(
                f"{self._path('inter')}: {int(orphan.sum())} interaction(s) name video(s) with no vlogger "
                f"in {self._path('item')}, e.g. {_examples(self.inter_feat.loc[orphan, self.iid_field])}"
            )
        uvl = self.uvl_feat
        path = self._path(USER_VLOGGER_SUFFIX)
        unknown_users = ~uvl[self.uid_field].isin(self.inter_feat[self.uid_field])
        if unknown_users.any():
            raise TripartiteDataError(
                f"{path}: {int(unknown_users.sum())} row(s) name users that have no interaction in "
                f"{self._path('inter')}, e.g. {_examples(uvl.loc[unknown_users, self.uid_field])}"
            )
        unknown_vloggers = ~uvl[self.vlogger_field].isin(self.item_feat[self.vlogger_field])
        if unknown_vloggers.any():
            raise TripartiteDataError(
                f"{path}: {int(unknown_vloggers.sum())} row(s) name vloggers that publish no video in "
                f"{self._path('item')}, e.g. {_examples(uvl.loc[unknown_vloggers, self.vlogger_field])}"
            )
        if self.time_field in uvl.columns:
            uvl = uvl.sort_values(self.time_field, kind="stable")
        duplicated = uvl.duplicated(subset=[self.uid_field, self.vlogger_field])
        if duplicated.any():
            self.logger.warning(
                f"{path}: dropped {int(duplicated.sum())} repeated user-vlogger row(s), keeping each pair's earliest"
            )
        self.uvl_feat = uvl[~duplicated].reset_index(drop=True)

    def _remove_duplication(self):
        """One interaction per user-video pair, at its earliest time, whatever ``rm_dup_inter`` says.

        A repeated pair is one event (the first watch); later repeats are dropped and counted, so
        a user's validation and test videos always differ and neither is in their training history.
        ``rm_dup_inter: last`` would keep the latest and is refused.
        """
        if self.config["rm_dup_inter"] not in (None, "first"):
            raise TripartiteDataError(
                f"rm_dup_inter: {self.config['rm_dup_inter']!r} is not supported by tripartite datasets, which keep "
                "each user-video pair's first interaction; remove the setting or set it to 'first'"
            )
        before = len(self.inter_feat)
        if self.time_field in self.inter_feat:
            self.inter_feat.sort_values(by=[self.time_field], kind="stable", inplace=True)
        self.inter_feat.drop_duplicates(subset=[self.uid_field, self.iid_field], keep="first", inplace=True)
        dropped = before - len(self.inter_feat)
        if dropped:
            self.logger.warning(
                f"{self._path('inter')}: dropped {dropped} repeated user-video interaction(s), keeping each pair's earliest"
            )

    def _data_processing(self):
        super()._data_processing()
        self._check_remapped_ids()

    def _check_remapped_ids(self):
        """Every real video has a vlogger id in ``1..vlogger_num-1``, every ``.uvl`` id is in range.

        RecBole remaps tokens to ids; an id outside the range (a missing vlogger filled with 0, or
        a corrupted remap such as -2**63) would later index the wrong row or crash on a device.
        """
        vloggers = self._column(self.item_feat, self.vlogger_field)[1:]
        bad = (vloggers < 1) | (vloggers >= self.vlogger_num)
        if bad.any():
            raise TripartiteDataError(
                f"{self._path('item')}: {int(bad.sum())} video(s) got no valid vlogger id after loading "
                f"(e.g. {vloggers[bad][0]!r} for video id {int(np.flatnonzero(bad)[0]) + 1}); "
                "check the file and the installed pandas (see the manual, Installation)"
            )
        uvl = self.uvl_feat
        for field, size in ((self.uid_field, self.user_num), (self.vlogger_field, self.vlogger_num)):
            ids = self._column(uvl, field)
            if ((ids < 1) | (ids >= size)).any():
                raise TripartiteDataError(
                    f"{self._path(USER_VLOGGER_SUFFIX)}: '{field}' ids outside 1..{size - 1} after loading"
                )

    def _data_filtering(self):
        super()._data_filtering()
        uvl = self.uvl_feat
        kept = uvl[self.uid_field].isin(self.inter_feat[self.uid_field]) & uvl[self.vlogger_field].isin(
            self.item_feat[self.vlogger_field]
        )
        if not kept.all():
            self.logger.warning(
                f"{self._path(USER_VLOGGER_SUFFIX)}: dropped {int((~kept).sum())} user-vlogger row(s) whose "
                "user or vlogger was removed by RecBole's filtering settings"
            )
            self.uvl_feat = uvl[kept].reset_index(drop=True)

    def _reset_index(self):
        # RecBole refuses empty feats; a .uvl left without explicit events is fine (the rule may link).
        if not (self.uvl_feat.empty and "uvl_feat" in self.feat_name_list):
            return super()._reset_index()
        self.feat_name_list.remove("uvl_feat")
        try:
            super()._reset_index()
        finally:
            self.feat_name_list.append("uvl_feat")

    def field2feats(self, field):
        """``.uvl`` shares the user space of ``.inter`` and the vlogger space of ``.item``.

        RecBole remaps the feats listed here together, in order: ``.inter`` users (then ``.uvl``)
        and ``.item`` vloggers (then ``.uvl``) define the ids.
        """
        uvl = self.uvl_feat
        if field == self.vlogger_field:
            return [self.item_feat, uvl]
        feats = super().field2feats(field)
        return feats + [uvl] if field == self.uid_field and uvl is not None else feats

    def copy(self, new_inter_feat):
        nxt = super().copy(new_inter_feat)
        nxt._graph_cache = {}
        nxt._training_user_vlogger = None
        return nxt

    def build(self):
        """RecBole's split (the cold-video split under ``cold_items``); the training split then gets the
        user-vlogger relation of ``uvl_rule``."""
        datasets = self._cold_video_split() if self.config["cold_items"] else super().build()
        train, held_out = datasets[0], datasets[1:]
        if self.config["uvl_rule"] == "paper":
            relation = self._user_vlogger_links(before=None)
            self.logger.warning(
                "uvl_rule: paper: the user-vlogger relation uses validation and test interactions and events"
            )
        else:
            relation = train._user_vlogger_links(before=self._first_held_out_times(held_out))
        train._training_user_vlogger = relation
        train.relation_note = (self if self.config["uvl_rule"] == "paper" else train).relation_note
        self.logger.info(f"user-vlogger relation for training ({self.config['uvl_rule']}): {train.relation_note}")
        train.link_lift = self._link_lift(relation, train, held_out)
        self.logger.info(format_link_lift(train.link_lift))
        return datasets

    def _cold_video_split(self):
        """``cold_items``: train, validation and test by video (:mod:`recbole_vagnn.data.cold_items`).

        Ordered as RecBole orders before splitting (``eval_args`` order: RO or TO); ``eval_args``'
        split and grouping are not used. Validation and test hold every interaction of their
        held-out videos, training every other interaction; under ``cold_candidates: cold`` each
        held-out split's ``candidate_items`` marks its videos. The training split's ``held_out_items``
        marks every held-out video, which no training negative may be
        (:func:`~recbole_vagnn.data.cold_items.keep_held_out_videos_from_negatives`).
        """
        self._change_feat_format()
        ordering = self.config["eval_args"]["order"]
        if ordering == "RO":
            self.shuffle()
        elif ordering == "TO":
            self.sort(by=self.time_field)
        how = self.config["cold_split"] or "random"
        if how == "time" and self.time_field not in self.inter_feat:
            raise TripartiteDataError(
                f"{self._path('inter')}: cold_split: time needs the '{self.time_field}' column (or set cold_split: random)"
            )
        items = self.inter_feat[self.iid_field].numpy()
        times = self.inter_feat[self.time_field].numpy() if how == "time" else None
        validation, test = choose_cold_videos(
            items, times, self.item_num, self.config["cold_items"], how, self.config["seed"]
        )
        part_of_video = np.zeros(self.item_num, dtype=np.int8)  # 0 training, 1 validation, 2 test
        part_of_video[validation], part_of_video[test] = 1, 2
        part = part_of_video[items]
        self._drop_unused_col()
        datasets = [self.copy(self.inter_feat[np.flatnonzero(part == index)]) for index in range(3)]
        candidates = self.config["cold_candidates"] or "cold"
        if candidates == "cold":
            datasets[1].candidate_items = part_of_video == 1
            datasets[2].candidate_items = part_of_video == 2
        held_out = np.concatenate([validation, test])
        datasets[0].held_out_items = part_of_video > 0
        doubly_cold = doubly_cold_count(held_out, np.unique(items[part == 0]), self.item2vlogger, self.vlogger_num)
        chosen_by = f"random, seed {self.config['seed']}" if how == "random" else "time, the newest"
        self.logger.info(
            f"cold videos: {len(held_out)} held out ({chosen_by}): {len(validation)} for validation, {len(test)} "
            f"for test; {doubly_cold} doubly cold (vlogger without a training video); candidates: {candidates}"
        )
        return datasets

    def _link_lift(self, relation, train, held_out):
        """:func:`link_lift` of the last held-out split (test), with the ranking's exclusions as history."""
        if not held_out or len(held_out[-1].inter_feat) == 0:
            return None
        test = held_out[-1].inter_feat
        history = sum(
            (part.inter_matrix(form="csr") for part in (train, *held_out[:-1])),
            start=sp.csr_matrix((self.user_num, self.item_num)),
        )
        return link_lift(
            relation,
            self.item2vlogger,
            history,
            test[self.uid_field].numpy(),
            test[self.iid_field].numpy(),
            self.item_num - 1,
        )

    def _first_held_out_times(self, held_out):
        """Per user id, the time of the first interaction outside the training split (inf if none)."""
        first = np.full(self.user_num, np.inf)
        for split in held_out:
            feat = split.inter_feat
            if len(feat) == 0:
                continue
            if self.time_field not in feat.columns:
                raise TripartiteDataError(
                    f"{self._path('inter')}: uvl_rule leak_free needs the '{self.time_field}' column to tell "
                    "which user-vlogger events precede the held-out interactions (or set uvl_rule: paper)"
                )
            np.minimum.at(first, feat[self.uid_field].numpy(), feat[self.time_field].numpy())
        return first

    def _user_vlogger_links(self, before):
        """Y from this dataset's interactions and the ``.uvl`` events before ``before[user]`` (all if None)."""
        uvl = self.uvl_feat
        users, vloggers = self._column(uvl, self.uid_field), self._column(uvl, self.vlogger_field)
        known = np.ones(len(users), dtype=bool)
        if before is not None and self.time_field in uvl.columns:
            known = self._column(uvl, self.time_field) < before[users]
        explicit = sp.csr_matrix(
            (np.ones(int(known.sum())), (users[known], vloggers[known])), shape=(self.user_num, self.vlogger_num)
        )
        if not known.all():
            self.logger.info(
                f"{self._path(USER_VLOGGER_SUFFIX)}: {int((~known).sum())} event(s) at or after the user's first "
                "validation/test interaction are left out of training"
            )
        links = user_vlogger_links(self.watched_vlogger_matrix(form="csr"), explicit, self.config["uvl_min_videos"], 1)
        relation = core_filter(links, self.config["uvl_min_links"])[0]
        self.relation_note = (
            f"{links.nnz} user-vlogger link(s) before the uvl_min_links: {self.config['uvl_min_links']} filter, "
            f"{relation.nnz} after"
        )
        return relation

    @staticmethod
    def _column(feat, field):
        values = feat[field]
        return values.numpy() if hasattr(values, "numpy") else np.asarray(values)

    # ---- tripartite structure ---------------------------------------------------------------
    @property
    def vlogger_num(self):
        """Number of vlogger ids, including the padding id 0."""
        return self.num(self.vlogger_field)

    @property
    def item2vlogger(self):
        """``item2vlogger[i]`` is the vlogger id of video ``i`` (0 for the padding video 0)."""
        return self._column(self.item_feat, self.vlogger_field).astype(np.int64)

    def publish_matrix(self, form="coo"):
        """Z: vlogger x video publishing matrix of ones, padding video excluded (``form``: coo or csr)."""
        videos = np.arange(1, self.item_num)
        matrix = sp.coo_matrix(
            (np.ones(len(videos)), (self.item2vlogger[videos], videos)), shape=(self.vlogger_num, self.item_num)
        )
        return _in_form(matrix, form)

    def user_vlogger_matrix(self, form="coo", training=False):
        """Y: the binary user x vlogger relation, see the module docstring (``form``: coo or csr).

        On the training split made by :meth:`build`, the relation of ``uvl_rule``; on any other
        dataset object, the relation of its own interactions and all ``.uvl`` events. A model asks
        with ``training=True``: then a dataset that is no training split is refused under
        ``uvl_rule: leak_free``, since its relation would hold the held-out interactions.
        """
        relation = self._training_user_vlogger
        if relation is None and training and self.config["uvl_rule"] != "paper":
            raise TripartiteDataError(
                f"{self._path(USER_VLOGGER_SUFFIX)}: the model was given the whole dataset, whose user-vlogger "
                "relation includes validation and test interactions; build it on the training split "
                "(train_data.dataset after RecBole's data_preparation), or set uvl_rule: paper to train on that relation"
            )
        return _in_form(relation if relation is not None else self._user_vlogger_links(before=None), form)

    def watched_vlogger_matrix(self, form="coo"):
        """User x vlogger counts of the user's interacted videos of each vlogger: X Z^T (``form``: coo or csr)."""
        return _in_form(self.inter_matrix(form="csr") @ self.publish_matrix(form="csr").T, form)

    def cached_graph(self, key, build):
        """Return ``build()`` computed once per (split) dataset object and ``key``."""
        if key not in self._graph_cache:
            self._graph_cache[key] = build()
        return self._graph_cache[key]

    def __str__(self):
        uvl = self.uvl_feat
        return "\n".join(
            [
                super().__str__(),
                f"The number of vloggers: {self.vlogger_num}",
                f"The number of user-vlogger interactions: {len(uvl)}",
            ]
        )


class TripartiteSequentialDataset(TripartiteDataset, SequentialDataset):
    """RecBole's ``SequentialDataset`` (``item_id_list``, ``item_length``...) of a tripartite dataset's files."""


class TripartiteDIENDataset(TripartiteDataset, DIENDataset):
    """RecBole's ``DIENDataset`` (sequences and their negative items) of a tripartite dataset's files."""


TRIPARTITE_CLASSES = {
    Dataset: TripartiteDataset,
    SequentialDataset: TripartiteSequentialDataset,
    DIENDataset: TripartiteDIENDataset,
}
"""RecBole's dataset class for a model -> the class that loads a tripartite dataset's files as it."""


def tripartite_class(recbole_class, model):
    """The tripartite counterpart of ``recbole_class``, the class RecBole's ``create_dataset`` picks for ``model``.

    RecBole's knowledge-aware datasets (``KnowledgeBasedDataset``, ``KGSeqDataset``...) need the
    ``.kg`` and ``.link`` files a tripartite dataset has none of: :class:`TripartiteDataError`.
    """
    if recbole_class in TRIPARTITE_CLASSES:
        return TRIPARTITE_CLASSES[recbole_class]
    raise TripartiteDataError(
        f"{model} loads its data as RecBole's {recbole_class.__name__} (a knowledge graph: .kg and .link files), "
        "which a tripartite dataset (.inter, .item, .uvl) cannot give; choose a general, context-aware or "
        "sequential model, or a dataset with those files"
    )
