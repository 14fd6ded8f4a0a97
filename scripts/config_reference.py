"""Write docs/configuration.md from the config models' field docstrings (the single source)."""

from __future__ import annotations

import ast
import inspect
import sys
import typing
from pathlib import Path

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from kiosk.config.schema import HallConfig


def _docstrings(model: type[BaseModel]) -> dict[str, str]:
    tree = ast.parse(inspect.getsource(model).lstrip())
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for prev, node in itertools.pairwise(body):
        if (
            isinstance(prev, ast.AnnAssign)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
        ):
            docs[prev.target.id] = " ".join(str(node.value.value).split())  # type: ignore[union-attr]
    return docs


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _type_name(annotation: object) -> str:
    text = str(annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    return text.split(".")[-1] if "[" not in text else text.replace("kiosk.config.schema.", "")


def main() -> None:
    out = [
        "# Hall configuration reference",
        "",
        "Generated from the models' docstrings by `scripts/config_reference.py`; the sample is",
        "`assets/hall.sample.yaml`. Check a file with `kiosk-admin check-config PATH`.",
        "",
    ]
    seen: set[type[BaseModel]] = set()
    queue: list[tuple[str, type[BaseModel]]] = [("(top level)", HallConfig)]
    while queue:
        path, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        docs = _docstrings(model)
        out += [f"## `{path}` — {model.__name__}", "", (model.__doc__ or "").strip().split("\n")[0], ""]
        out += ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
        for name, field in model.model_fields.items():
            value = None if field.is_required() else field.get_default(call_default_factory=True)
            default = (
                "required"
                if field.is_required()
                else ("see below" if isinstance(value, BaseModel) else repr(value))
            )
            if len(default) > 40:
                default = default[:37] + "…"
            meaning = docs.get(name, "").replace("|", "\\|")
            type_name = _type_name(field.annotation).replace("|", "or")
            out.append(f"| `{name}` | `{type_name}` | `{default}` | {meaning} |")
            for sub in _models(field.annotation):
                queue.append((f"{path}.{name}" if path != "(top level)" else name, sub))
        out.append("")
    target = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
    target.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
