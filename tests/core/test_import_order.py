"""Apps import only downwards (DESIGN.md): a lower app never imports a higher one."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_app_imports_an_app_above_it():
    order = {app: i for i, app in enumerate(settings.DOMAIN_APPS)}
    violations = []
    for app, rank in order.items():
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for module in _imported_top_modules(path):
                if module == "config" or (module in order and order[module] > rank):
                    violations.append(f"{path.relative_to(ROOT)} imports {module}")
    assert violations == []


def test_apps_are_listed_lowest_first_as_in_the_design():
    assert settings.DOMAIN_APPS == [
        "core",
        "users",
        "catalog",
        "promotions",
        "commerce",
        "settlements",
        "insights",
        "recommendations",
        "storefront",
    ]
