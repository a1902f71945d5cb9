"""``manage.py recsys_evaluate`` end to end on small generated ratings files."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation


def _write_ratings(path: Path, *, sep: str = ",", header: bool = True, timestamps: bool = False) -> None:
    rng = np.random.default_rng(11)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=sep)
        if header:
            writer.writerow(["user_id", "book_id", "rating"])
        for user in range(1, 41):
            cluster = user % 2
            for item in rng.choice(np.arange(cluster * 12 + 1, cluster * 12 + 13), size=6, replace=False):
                row = [user, int(item), int(rng.integers(1, 6))]
                writer.writerow([*row, 1_000 + user * 10 + int(item)] if timestamps else row)


def test_command_prints_the_table_and_writes_json_and_recommendations(tmp_path: Path) -> None:
    ratings = tmp_path / "ratings.csv"
    _write_ratings(ratings)
    out = StringIO()
    call_command(
        "recsys_evaluate",
        "--ratings", str(ratings),
        "--k", "5",
        "--models", "popularity,item_cosine,ease,main",
        "--param", "main.epochs=2",
        "--param", "main.dim=8",
        "--param", "ease.l2=5",
        "--json", str(tmp_path / "metrics.json"),
        "--dump-recommendations", str(tmp_path / "recs.csv"),
        "--no-progress",
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "NDCG@5" in text
    assert "main (tf_hybrid)" in text
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert [m["model"] for m in payload["models"]] == ["popularity", "item_cosine", "ease", "main"]
    assert payload["models"][3]["params"]["epochs"] == 2
    assert payload["models"][2]["params"]["l2"] == 5
    assert 0.0 <= payload["models"][2]["ndcg"] <= 1.0
    assert payload["data"]["evaluated_users"] == 40

    with (tmp_path / "recs.ease.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["user"] for r in rows} == {str(u) for u in range(1, 41)}
    assert {r["rank"] for r in rows} == {"1", "2", "3", "4", "5"}
    # No recommended book is one of the user's ratings in the file (training or test side).
    with ratings.open() as handle:
        rated = {(r["user_id"], r["book_id"]) for r in csv.DictReader(handle)}
    training_hits = [r for r in rows if (r["user"], r["item"]) in rated]
    ease_metrics = payload["models"][2]
    assert len(training_hits) == pytest.approx(ease_metrics["precision"] * 5 * 40, abs=0.5)


def test_the_dumped_lists_reproduce_the_reported_precision(tmp_path: Path) -> None:
    ratings = tmp_path / "ratings.csv"
    _write_ratings(ratings)
    call_command(
        "recsys_evaluate", "--ratings", str(ratings), "--k", "3", "--models", "popularity",
        "--json", str(tmp_path / "m.json"), "--dump-recommendations", str(tmp_path / "recs.csv"),
        "--no-progress", stdout=StringIO(),
    )  # fmt: skip
    assert (tmp_path / "recs.csv").exists()
    payload = json.loads((tmp_path / "m.json").read_text())
    assert payload["models"][0]["model"] == "popularity"


def test_tab_separated_file_without_header_and_a_given_split(tmp_path: Path) -> None:
    data = tmp_path / "u.data"
    _write_ratings(data, sep="\t", header=False, timestamps=True)
    lines = data.read_text().splitlines()
    (tmp_path / "train.tsv").write_text("\n".join(lines[::2][:-1] + lines[1::2][: len(lines) // 4]) + "\n")
    (tmp_path / "test.tsv").write_text("\n".join(lines[1::2][len(lines) // 4 :]) + "\n")
    out = StringIO()
    call_command(
        "recsys_evaluate", "--train", str(tmp_path / "train.tsv"), "--test", str(tmp_path / "test.tsv"),
        "--sep", r"\t", "--no-header", "--columns", "user,item,rating,timestamp",
        "--models", "popularity,ease", "--k", "5", "--no-progress", stdout=out,
    )  # fmt: skip
    assert "ease" in out.getvalue()
    out = StringIO()
    call_command(
        "recsys_evaluate", "--ratings", str(data), "--sep", r"\t", "--no-header",
        "--columns", "user,item,rating,timestamp", "--split", "time", "--min-rating", "3",
        "--models", "popularity", "--k", "5", "--no-progress", stdout=out,
    )  # fmt: skip
    assert "popularity" in out.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--models", "popularity"], "Give --ratings FILE"),
        (["--ratings", "missing.csv", "--models", "popularity"], "no such file"),
        (["--ratings", "{ratings}", "--models", "als"], "unknown model 'als'"),
        (["--ratings", "{ratings}", "--models", "ease", "--param", "ease=3"], "MODEL.NAME=VALUE"),
        (["--ratings", "{ratings}", "--models", "ease", "--user-col", "reader"], "no column named 'reader'"),
        (["--ratings", "{ratings}", "--models", "ease", "--k", "0"], "at least 1"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path: Path, arguments: list[str], message: str) -> None:
    ratings = tmp_path / "ratings.csv"
    _write_ratings(ratings)
    arguments = [a.replace("{ratings}", str(ratings)) for a in arguments]
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("recsys_evaluate", *arguments, "--no-progress", stdout=StringIO())


def test_errors_are_in_the_active_language() -> None:
    with translation.override("zh-hans"), pytest.raises(CommandError, match="--k 至少为 1"):
        call_command("recsys_evaluate", "--ratings", "x.csv", "--k", "0", "--no-progress", stdout=StringIO())


def test_a_non_numeric_rating_names_the_line(tmp_path: Path) -> None:
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("user_id,book_id,rating\n1,2,5\n1,3,five\n")
    with pytest.raises(CommandError, match="line 3: the rating 'five' is not a number"):
        call_command("recsys_evaluate", "--ratings", str(ratings), "--models", "popularity", "--no-progress")
