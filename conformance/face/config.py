"""The run's settings, resolved once: command line > environment > TOML file > default.

The result is a frozen :class:`~conformance.targets.settings.TargetConfig`. Secrets come only
from ``ONTAP_USERNAME`` / ``ONTAP_PASSWORD``; a config file that tries to hold one is
refused, so nobody commits a cluster password by accident.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.targets.settings import TargetConfig
from models.releases import ReleaseError, parse_release

CONFIG_ENV = "ONTAP_CONFORMANCE_CONFIG"
USERNAME_ENV = "ONTAP_USERNAME"
PASSWORD_ENV = "ONTAP_PASSWORD"
#: A read-only account of a live target (CRED-ACCESS-002 is judged only when both are set).
READONLY_USERNAME_ENV = "ONTAP_READONLY_USERNAME"
READONLY_PASSWORD_ENV = "ONTAP_READONLY_PASSWORD"

#: option dest -> (environment variable, TOML section, TOML key, kind, default)
OPTIONS: dict[str, tuple[str, str | None, str | None, str, Any]] = {
    "target": ("ONTAP_CONFORMANCE_TARGET", "target", "url", "str", None),
    "svms": ("ONTAP_CONFORMANCE_SVMS", "target", "svms", "list", ()),
    "ca_bundle": ("ONTAP_CONFORMANCE_CA_BUNDLE", "target", "ca_bundle", "str", None),
    "insecure": ("ONTAP_CONFORMANCE_INSECURE", "target", "insecure", "bool", False),
    "emulator_defects": ("ONTAP_CONFORMANCE_EMULATOR_DEFECTS", None, None, "list", ()),
    "emulator_variants": ("ONTAP_CONFORMANCE_EMULATOR_VARIANTS", None, None, "list", ()),
    "report_dir": ("ONTAP_CONFORMANCE_REPORT_DIR", "run", "report_dir", "str", "reports"),
    "rate_limit": ("ONTAP_CONFORMANCE_RATE_LIMIT", "run", "rate_limit", "float", None),
    "max_objects": ("ONTAP_CONFORMANCE_MAX_OBJECTS", "run", "max_objects", "int", 50),
    "timeout": ("ONTAP_CONFORMANCE_TIMEOUT", "run", "timeout", "float", None),
    "emulator_faults": ("ONTAP_CONFORMANCE_EMULATOR_FAULTS", None, None, "float", 0.0),
    "allow_default_changes": ("ONTAP_CONFORMANCE_ALLOW_DEFAULT_CHANGES", "run",
                              "allow_default_changes", "bool", False),
    "allow_collection_writes": ("ONTAP_CONFORMANCE_ALLOW_COLLECTION_WRITES", "run",
                                "allow_collection_writes", "bool", False),
    "strict_observed": ("ONTAP_CONFORMANCE_STRICT_OBSERVED", "run", "strict_observed",
                        "bool", False),
    "ontap_version": ("ONTAP_CONFORMANCE_ONTAP_VERSION", "target", "ontap_version", "str", None),
    "emulator_ontap_version": ("ONTAP_CONFORMANCE_EMULATOR_ONTAP_VERSION", None, None, "str", None),
    "emulator_latency": ("ONTAP_CONFORMANCE_EMULATOR_LATENCY", None, None, "float", 0.0),
    # certification and nightly runs (conformance/reports/postrun.py)
    "known_deviations": ("ONTAP_CONFORMANCE_KNOWN_DEVIATIONS", "run", "known_deviations", "str", None),
    "history": ("ONTAP_CONFORMANCE_HISTORY", "run", "history", "str", None),
    "time_budget": ("ONTAP_CONFORMANCE_TIME_BUDGET", "run", "time_budget", "float", None),
    "fail_on": ("ONTAP_CONFORMANCE_FAIL_ON", "run", "fail_on", "str", "any"),
}
FAIL_ON = ("any", "new")
_FILE_KEYS = {
    section: {key for _, sec, key, _, _ in OPTIONS.values() if sec == section}
    for section in ("target", "run")
}
_SECRET_WORDS = ("password", "passwd", "secret", "token", "username", "credential")
DEFAULT_TIMEOUT = 30.0
#: --request-timeout when --emulator-faults is given without one: the embedded emulator's late
#: answers then come just past it, so each costs a fraction of a second, not 30 s.
FAULT_MODE_TIMEOUT = 0.1


def load_config(pytest_config: pytest.Config) -> TargetConfig:
    """Resolve the options of this pytest run into a :class:`TargetConfig`.

    Raises:
        pytest.UsageError: a bad file, value or combination, with a message that says
            how to fix it.
    """
    env = os.environ
    path_text = pytest_config.getoption("conformance_config", None) or env.get(CONFIG_ENV)
    file_path = Path(path_text).expanduser() if path_text else None
    from_file = read_config_file(file_path) if file_path else {}
    values: dict[str, Any] = {}
    for dest, (env_name, _section, _key, kind, default) in OPTIONS.items():
        cli = pytest_config.getoption(dest, None)
        if cli not in (None, [], ()):
            values[dest] = _coerce(cli, kind, f"--{dest.replace('_', '-')}")
        elif env.get(env_name, "") != "":
            values[dest] = _coerce(env[env_name], kind, env_name)
        elif dest in from_file:
            values[dest] = _coerce(from_file[dest], kind, f"{file_path}: {_key}")
        else:
            values[dest] = default
    sweep = pytest_config.getoption("sweep", None)
    config = build_config(values, sweep=Path(sweep) if sweep else None, config_file=file_path,
                          username=env.get(USERNAME_ENV) or None,
                          password=env.get(PASSWORD_ENV) or None,
                          readonly_username=env.get(READONLY_USERNAME_ENV) or None,
                          readonly_password=env.get(READONLY_PASSWORD_ENV) or None)
    params = getattr(pytest_config, "invocation_params", None)
    if not config.report_dir.is_absolute():
        # A given directory is relative to where pytest was started; the default one is
        # the project's reports/ wherever pytest was started from, and ./reports for the
        # installed suite (--pyargs conformance, as ontap-conformance runs it).
        explicit = values["report_dir"] != OPTIONS["report_dir"][4] or bool(
            getattr(getattr(pytest_config, "option", None), "pyargs", False))
        base = Path(params.dir) if explicit and params else getattr(pytest_config, "rootpath", None)
        config = replace(config, report_dir=Path(base or Path.cwd()) / config.report_dir)
    for name in ("known_deviations", "history"):  # relative to where pytest was started
        value = getattr(config, name)
        if value is not None and not value.is_absolute():
            config = replace(config, **{name: Path(params.dir if params else Path.cwd()) / value})
    return config


def build_config(values: dict[str, Any], **extra: Any) -> TargetConfig:
    """Validate resolved values and freeze them (split out so it can be unit-tested)."""
    url = values.get("target")
    if url is not None:
        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise pytest.UsageError(f"--target must be an http(s) URL, got {url!r}")
    svms = tuple(values.get("svms") or ())
    defects = tuple(values.get("emulator_defects") or ())
    if url and defects:
        raise pytest.UsageError("--emulator-defect only applies to the embedded emulator; "
                                "drop it or drop --target")
    variants = tuple(values.get("emulator_variants") or ())
    if url and variants:
        raise pytest.UsageError("--emulator-variant only applies to the embedded emulator; "
                                "drop it or drop --target")
    faults = values.get("emulator_faults") or 0.0
    if url and faults:
        raise pytest.UsageError("--emulator-faults only applies to the embedded emulator; "
                                "drop it or drop --target")
    if not 0.0 <= faults < 1.0:
        raise pytest.UsageError(f"--emulator-faults must be a share from 0 to below 1, got {faults}")
    timeout = values.get("timeout")
    if timeout is None:
        timeout = FAULT_MODE_TIMEOUT if faults else DEFAULT_TIMEOUT
    if timeout <= 0:
        raise pytest.UsageError(f"--request-timeout must be a positive number of seconds, got {timeout}")
    if svms and not url:
        raise pytest.UsageError("--svm only applies with --target URL; the embedded "
                                "emulator brings its own SVMs")
    if url and not svms and not extra.get("sweep"):
        raise pytest.UsageError("--target needs at least one --svm NAME (an SVM with the "
                                "iSCSI service)")
    ca_bundle = values.get("ca_bundle")
    if ca_bundle and not Path(ca_bundle).expanduser().is_file():
        raise pytest.UsageError(f"--ca-bundle {ca_bundle!r}: no such file")
    if ca_bundle and values.get("insecure"):
        raise pytest.UsageError("--ca-bundle and --insecure contradict each other; pick one")
    rate = values.get("rate_limit")
    if rate is not None and rate <= 0:
        raise pytest.UsageError(f"--rate-limit must be a positive number, got {rate}")
    max_objects = values.get("max_objects", 50)
    if max_objects < 1:
        raise pytest.UsageError(f"--max-objects must be at least 1, got {max_objects}")
    for option, value in (("--ontap-version", values.get("ontap_version")),
                          ("--emulator-ontap-version", values.get("emulator_ontap_version"))):
        if value is not None:
            try:
                parse_release(value)
            except ReleaseError as exc:
                raise pytest.UsageError(f"{option}: {exc}") from None
    latency = values.get("emulator_latency") or 0.0
    if not 0 <= latency <= 60_000:
        raise pytest.UsageError(f"--emulator-latency must be 0 to 60000 milliseconds, got {latency}")
    if url and latency:
        raise pytest.UsageError("--emulator-latency only applies to the embedded emulator; drop it or "
                                "drop --target")
    if url and values.get("emulator_ontap_version"):
        raise pytest.UsageError("--emulator-ontap-version only applies to the embedded emulator; "
                                "drop it or drop --target (use --ontap-version to judge a live target "
                                "against another release)")
    budget = values.get("time_budget")
    if budget is not None and budget <= 0:
        raise pytest.UsageError(f"--time-budget must be a positive number of seconds, got {budget}")
    fail_on = values.get("fail_on") or "any"
    if fail_on not in FAIL_ON:
        raise pytest.UsageError(f"--fail-on must be 'new' or 'any', got {fail_on!r}")
    history = Path(values["history"]).expanduser() if values.get("history") else None
    if fail_on == "new" and history is None:
        raise pytest.UsageError("--fail-on new needs --history DIR (new since which run?)")
    if history is not None and history.exists() and not history.is_dir():
        raise pytest.UsageError(f"--history {history}: not a directory")
    known = Path(values["known_deviations"]).expanduser() if values.get("known_deviations") else None
    if known is not None and not known.is_file():
        raise pytest.UsageError(f"--known-deviations {known}: no such file")
    if url and not (extra.get("username") and extra.get("password")):
        raise pytest.UsageError(f"a live target needs {USERNAME_ENV} and {PASSWORD_ENV} set "
                                "in the environment (never on the command line or in a file)")
    return TargetConfig(
        url=url,
        svms=svms,
        ca_bundle=str(Path(ca_bundle).expanduser()) if ca_bundle else None,
        insecure=bool(values.get("insecure")),
        emulator_defects=defects,
        emulator_variants=variants,
        report_dir=Path(values.get("report_dir") or "reports"),
        rate_limit=rate,
        max_objects=max_objects,
        timeout=float(timeout),
        emulator_faults=float(faults),
        allow_default_changes=bool(values.get("allow_default_changes")),
        allow_collection_writes=bool(values.get("allow_collection_writes")),
        strict_observed=bool(values.get("strict_observed")),
        ontap_version=values.get("ontap_version"),
        emulator_ontap_version=values.get("emulator_ontap_version"),
        emulator_latency=float(latency),
        known_deviations=known,
        history=history,
        time_budget=None if budget is None else float(budget),
        fail_on=fail_on,
        **extra,
    )


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file into option dests, refusing secrets and unknown keys."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise pytest.UsageError(f"config file {path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise pytest.UsageError(f"config file {path}: not valid TOML ({exc})") from None
    _refuse_secrets(data, path, ())
    out: dict[str, Any] = {}
    for section, table in data.items():
        if section not in _FILE_KEYS:
            raise pytest.UsageError(f"config file {path}: unknown section [{section}]; "
                                    "allowed: [target], [run]")
        if not isinstance(table, dict):
            raise pytest.UsageError(f"config file {path}: {section} must be a table")
        for key, value in table.items():
            if key not in _FILE_KEYS[section]:
                allowed = ", ".join(sorted(_FILE_KEYS[section]))
                raise pytest.UsageError(f"config file {path}: unknown key [{section}] {key}; "
                                        f"allowed: {allowed}")
            dest = next(d for d, o in OPTIONS.items() if o[1] == section and o[2] == key)
            out[dest] = value
    return out


def _refuse_secrets(data: Any, path: Path, trail: tuple[str, ...]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if any(word in key.lower() for word in _SECRET_WORDS):
                where = ".".join((*trail, key))
                raise pytest.UsageError(
                    f"config file {path}: refusing key {where!r}: credentials come only from "
                    f"{USERNAME_ENV} and {PASSWORD_ENV} in the environment; remove it")
            _refuse_secrets(value, path, (*trail, key))


def _coerce(value: Any, kind: str, where: str) -> Any:
    try:
        if kind == "list":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if isinstance(value, bool):
            raise ValueError(value)
        if kind == "int":
            if isinstance(value, float) or (isinstance(value, str) and not value.strip().lstrip("-").isdigit()):
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{where}: expected {kind}, got {value!r}") from None
