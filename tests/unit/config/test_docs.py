from __future__ import annotations

from pathlib import Path

from zhifu.config.environment import Environment, env_name

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    missing = [
        env_name(name) for name in Environment.model_fields if f"`{env_name(name)}`" not in text
    ]
    assert missing == []
