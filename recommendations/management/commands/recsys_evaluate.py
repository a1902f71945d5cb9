"""Evaluate recommenders offline on a ratings file, as a data scientist would.

Example (goodbooks-10k, all ratings as positives, per-user 80/20, K=10):

    python manage.py recsys_evaluate --ratings ../shared/datasets/goodbooks-10k/ratings_random_5pct_users.csv \\
        --k 10 --models popularity,item_cosine,ease,main --json metrics.json
"""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from recommendations.ml.base import ModelError
from recommendations.ml.datasets import Ratings, RatingsFileError, ratings_read
from recommendations.ml.evaluation import (
    MAIN_ALIAS,
    ModelResult,
    model_build,
    model_evaluate,
    model_labels_parse,
    recommendations_rows,
)
from recommendations.ml.interactions import IdMap, InteractionError, interactions_build
from recommendations.ml.progress import Progress, ProgressCallback
from recommendations.ml.splits import Split, SplitError, split_by_time, split_random_holdout


class Command(BaseCommand):
    help = "Evaluate recommendation models offline on a ratings file (Precision, Recall, NDCG, MAP, hit rate at K)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        source = parser.add_argument_group("data")
        source.add_argument("--ratings", help="ratings file to split into train and test")
        source.add_argument("--train", help="training file of a ready-made split (with --test)")
        source.add_argument("--test", help="test file of a ready-made split (with --train)")
        source.add_argument("--sep", default=",", help=r"field separator (default ','; '\t' for tab)")
        source.add_argument("--no-header", action="store_true", help="the file has no header line")
        source.add_argument("--columns", help="roles of the columns without a header, e.g. user,item,rating,timestamp")
        source.add_argument("--user-col", help="header name of the user column")
        source.add_argument("--item-col", help="header name of the item column")
        source.add_argument("--rating-col", help="header name of the rating column")
        source.add_argument("--timestamp-col", help="header name of the timestamp column")
        source.add_argument("--min-rating", type=float, help="keep only ratings ≥ this as positives")
        split = parser.add_argument_group("split")
        split.add_argument("--split", choices=["random", "time"], default="random", help="per-user random or by time")
        split.add_argument("--test-fraction", type=float, default=0.2)
        split.add_argument("--seed", type=int, default=42)
        run = parser.add_argument_group("models")
        run.add_argument("--k", type=int, default=10)
        run.add_argument("--models", default="popularity,item_cosine,ease,main")
        run.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="MODEL.NAME=VALUE",
            help="hyper-parameter for one model, e.g. ease.l2=200 or main.epochs=5 (repeatable)",
        )
        out = parser.add_argument_group("output")
        out.add_argument("--json", dest="json_out", help="write the metrics as JSON here")
        out.add_argument(
            "--dump-recommendations",
            help="write user,item,rank of every test user's top K here (one file per model when several)",
        )
        out.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        self.show_progress = not options["no_progress"] and options["verbosity"] > 0
        k = options["k"]
        if k < 1:
            raise CommandError(_("--k must be at least 1, not %(k)s.") % {"k": k})
        try:
            labels = model_labels_parse(options["models"])
            overrides = _parse_params(options["param"], labels)
            split, user_ids, item_ids = self._load(options)
        except (ModelError, RatingsFileError, InteractionError, SplitError) as exc:
            raise CommandError(str(exc)) from None

        users = split.test_users
        if len(users) == 0:
            raise CommandError(_("No user has both training and test items; nothing can be evaluated."))
        self.stdout.write(
            _(
                "%(users)s users × %(items)s items; %(train)s training and %(test)s test interactions; "
                "%(evaluated)s users evaluated at K=%(k)s."
            )
            % {
                "users": split.train.shape[0],
                "items": split.train.shape[1],
                "train": split.train.nnz,
                "test": split.test.nnz,
                "evaluated": len(users),
                "k": k,
            }
        )
        results: list[ModelResult] = []
        for label in labels:
            try:
                model = model_build(label, overrides.get(label))
                results.append(model_evaluate(label, model, split, k=k, progress_for=self._progress_for))
            except ModelError as exc:
                raise CommandError(_("Model %(model)s failed: %(error)s") % {"model": label, "error": exc}) from None
        self._print_table(results, k)
        if options["json_out"]:
            self._write_json(Path(options["json_out"]), results, split, k, options)
        if options["dump_recommendations"]:
            self._dump(Path(options["dump_recommendations"]), results, users, user_ids, item_ids)

    # ------------------------------------------------------------ loading

    def _read(self, path: str, options: dict[str, Any]) -> Ratings:
        columns = options["columns"].split(",") if options["columns"] else None
        size = Path(path).stat().st_size if Path(path).is_file() else 0
        bar = self._bar(_("reading %(file)s") % {"file": Path(path).name}, total=size, unit="B", unit_scale=True)

        def on_bytes(done: int) -> None:
            if bar is not None:
                bar.update(max(0, min(done, size) - bar.n))

        try:
            return ratings_read(
                path,
                sep=options["sep"].encode().decode("unicode_escape"),
                header=not options["no_header"],
                columns=columns,
                user_col=options["user_col"],
                item_col=options["item_col"],
                rating_col=options["rating_col"],
                timestamp_col=options["timestamp_col"],
                min_rating=options["min_rating"],
                on_bytes=on_bytes,
            )
        finally:
            if bar is not None:
                bar.close()

    def _load(self, options: dict[str, Any]) -> tuple[Split, np.ndarray, np.ndarray]:
        ratings_path, train_path, test_path = options["ratings"], options["train"], options["test"]
        if ratings_path and (train_path or test_path):
            raise CommandError(_("Give either --ratings, or --train with --test, not both."))
        if not ratings_path and not (train_path and test_path):
            raise CommandError(_("Give --ratings FILE, or both --train FILE and --test FILE."))
        if ratings_path:
            ratings = self._read(ratings_path, options)
            if len(ratings) == 0:
                raise CommandError(_("%(file)s holds no ratings to evaluate on.") % {"file": ratings_path})
            built = interactions_build(users=ratings.users, items=ratings.items, timestamps=ratings.timestamps)
            # All kept ratings are positives: one interaction per user–item pair.
            matrix = built.matrix
            matrix.data[:] = 1.0
            if options["split"] == "time":
                split = split_by_time(matrix, built.first_seen, test_fraction=options["test_fraction"], per_user=True)
            else:
                split = split_random_holdout(matrix, test_fraction=options["test_fraction"], seed=options["seed"])
            return split, built.users.ids, built.items.ids
        train = self._read(train_path, options)
        test = self._read(test_path, options)
        user_map = IdMap(np.unique(np.concatenate([train.users, test.users])))
        item_map = IdMap(np.unique(np.concatenate([train.items, test.items])))
        train_matrix = interactions_build(users=train.users, items=train.items, user_ids=user_map, item_ids=item_map)
        test_matrix = interactions_build(users=test.users, items=test.items, user_ids=user_map, item_ids=item_map)
        train_matrix.matrix.data[:] = 1.0
        test_matrix.matrix.data[:] = 1.0
        # A pair in both files counts as training only, as it would after a random split.
        test_only = test_matrix.matrix - test_matrix.matrix.multiply(train_matrix.matrix > 0)
        test_only.eliminate_zeros()
        return Split(train=train_matrix.matrix, test=test_only.tocsr()), user_map.ids, item_map.ids

    # ------------------------------------------------------------ output

    def _print_table(self, results: list[ModelResult], k: int) -> None:
        header = [
            _("model"),
            f"P@{k}",
            f"R@{k}",
            f"NDCG@{k}",
            f"MAP@{k}",
            f"HR@{k}",
            _("coverage"),
            _("fit s"),
            _("recommend s"),
        ]
        rows = [
            [
                r.label if r.label != MAIN_ALIAS else f"{MAIN_ALIAS} ({r.model.name})",
                f"{r.metrics.precision:.4f}",
                f"{r.metrics.recall:.4f}",
                f"{r.metrics.ndcg:.4f}",
                f"{r.metrics.map:.4f}",
                f"{r.metrics.hit_rate:.4f}",
                f"{r.metrics.coverage:.4f}",
                f"{r.fit_seconds:.1f}",
                f"{r.recommend_seconds:.1f}",
            ]
            for r in results
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())

    def _write_json(
        self, path: Path, results: list[ModelResult], split: Split, k: int, options: dict[str, Any]
    ) -> None:
        payload = {
            "k": k,
            "data": {
                "ratings": options["ratings"],
                "train": options["train"],
                "test": options["test"],
                "split": options["split"] if options["ratings"] else "given",
                "test_fraction": options["test_fraction"],
                "seed": options["seed"],
                "min_rating": options["min_rating"],
                "users": split.train.shape[0],
                "items": split.train.shape[1],
                "train_interactions": int(split.train.nnz),
                "test_interactions": int(split.test.nnz),
                "evaluated_users": len(split.test_users),
            },
            "models": [r.as_dict() for r in results],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        self.stdout.write(_("Metrics written to %(path)s") % {"path": path})

    def _dump(
        self, path: Path, results: list[ModelResult], users: np.ndarray, user_ids: np.ndarray, item_ids: np.ndarray
    ) -> None:
        for result in results:
            target = path if len(results) == 1 else path.with_name(f"{path.stem}.{result.label}{path.suffix}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["user", "item", "rank"])
                writer.writerows(recommendations_rows(result, users, user_ids, item_ids))
            self.stdout.write(
                _("Recommendations of %(model)s written to %(path)s") % {"model": result.label, "path": target}
            )

    # ------------------------------------------------------------ progress

    def _bar(self, description: str, **kwargs: Any) -> Any:
        if not self.show_progress:
            return None
        return tqdm(desc=description, file=self.stderr._out, leave=False, **kwargs)

    def _progress_for(self, description: str) -> ProgressCallback | None:
        if not self.show_progress:
            return None
        bars: dict[str, Any] = {}

        def report(progress: Progress) -> None:
            bar = bars.get(progress.stage)
            if bar is None:
                bar = bars[progress.stage] = self._bar(f"{description} ({progress.stage})", total=progress.total)
            bar.update(progress.done - bar.n)
            if progress.metrics:
                bar.set_postfix({key: round(value, 4) for key, value in progress.metrics.items()})
            if progress.done >= progress.total:
                bar.close()

        return report


def _parse_params(items: list[str], labels: list[str]) -> dict[str, dict[str, Any]]:
    """``["ease.l2=200", "main.epochs=5"]`` → ``{"ease": {"l2": 200}, "main": {"epochs": 5}}`` (JSON values)."""
    overrides: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        label, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise ModelError(_("--param must look like MODEL.NAME=VALUE, not %(item)r") % {"item": item})
        if label not in labels:
            raise ModelError(
                _("--param %(item)r names model %(model)r, which is not in --models") % {"item": item, "model": label}
            )
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        overrides.setdefault(label, {})[name] = value
    return overrides
