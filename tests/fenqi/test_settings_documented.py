"""Every environment variable fenqi/settings.py reads is in the README's configuration table (and
the table names no FENQI_ variable that nothing reads); no other module reads the environment."""
import re
from pathlib import Path

from fenqi import settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PRODUCT_DIRS = ("fenqi", "actions", "channels", "components", "console", "webapp", "deploy", "scripts")
# a read of the process environment: os.environ.get(...), os.getenv(...), os.environ["X"] (not an assignment)
ENV_READ = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^\]]+\](?!\s*=[^=])")


def settings_variables() -> set:
    sections = [v for v in vars(settings).values()
                if isinstance(v, type) and issubclass(v, settings._Section) and v is not settings._Section]
    names = {name for cls in sections for name in settings.env_names(cls).values()}
    source = Path(settings.__file__).read_text(encoding="utf-8")
    return names | set(re.findall(r'\.get\("([A-Z][A-Z0-9_]+)"', source))  # FENQI_ENV, FENQI_VAR_DIR, ...


def readme_variables() -> set:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def test_every_variable_of_the_settings_is_in_the_readme_table():
    names = settings_variables()
    assert {"FENQI_ENV", "FENQI_VAR_DIR", "FENQI_CORS_ORIGINS", "FENQI_DATABASE_URL", "WECHAT_TOKEN",
            "RASA_PORT", "FENQI_WECHAT_REDIS_URL", "FENQI_MAX_BODY_BYTES"} <= names  # the parse finds them
    assert sorted(names - readme_variables()) == []


def test_the_readme_table_names_no_fenqi_variable_that_nothing_reads():
    documented = {n for n in readme_variables() if n.startswith("FENQI_")}
    assert sorted(documented - settings_variables()) == []


def test_no_module_but_the_settings_reads_the_environment():
    readers = [f"{path.relative_to(ROOT)}:{n}" for d in PRODUCT_DIRS for path in sorted((ROOT / d).rglob("*.py"))
               if path != Path(settings.__file__)
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if ENV_READ.search(line)]
    assert readers == []


def test_the_settings_import_the_limits_not_the_other_way_round():
    limits = (ROOT / "fenqi" / "security" / "limits.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from fenqi(\.settings)? import|import fenqi\.settings)", limits, re.M)
