from pathlib import Path

import pytest

from conformance.face.config import load_config


class FakePytestConfig:
    def __init__(self, **options):
        self.options = options

    def getoption(self, name, default=None):
        return self.options.get(name, default)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os
    for name in list(os.environ):
        if name.startswith("ONTAP_"):
            monkeypatch.delenv(name)


def write(tmp_path, text):
    path = tmp_path / "conformance.toml"
    path.write_text(text)
    return path


def test_defaults_run_the_embedded_emulator():
    config = load_config(FakePytestConfig())
    assert config.kind == "emulator"
    assert config.report_dir == Path.cwd() / "reports"
    assert config.max_objects == 50
    assert config.verify is True
    assert not config.allow_default_changes


def test_command_line_beats_environment_beats_file(tmp_path, monkeypatch):
    path = write(tmp_path, '[run]\nmax_objects = 7\nrate_limit = 2.5\nreport_dir = "from-file"\n')
    monkeypatch.setenv("ONTAP_CONFORMANCE_CONFIG", str(path))
    monkeypatch.setenv("ONTAP_CONFORMANCE_MAX_OBJECTS", "9")
    monkeypatch.setenv("ONTAP_CONFORMANCE_REPORT_DIR", "from-env")
    config = load_config(FakePytestConfig(report_dir="from-cli"))
    assert config.report_dir == Path.cwd() / "from-cli"
    assert config.max_objects == 9
    assert config.rate_limit == 2.5
    assert config.config_file == path


def test_live_target_from_file_with_credentials_from_env(tmp_path, monkeypatch):
    path = write(tmp_path, '[target]\nurl = "https://cluster/"\nsvms = ["vs1", "vs2"]\n'
                           'insecure = true\n[run]\nstrict_observed = true\n')
    monkeypatch.setenv("ONTAP_USERNAME", "admin")
    monkeypatch.setenv("ONTAP_PASSWORD", "pw")
    config = load_config(FakePytestConfig(conformance_config=str(path)))
    assert config.kind == "live"
    assert config.url == "https://cluster"
    assert config.svms == ("vs1", "vs2")
    assert config.verify is False
    assert config.strict_observed
    assert "pw" not in repr(config)


@pytest.mark.parametrize(("text", "message"), [
    ('[target]\npassword = "x"\n', "refusing key 'target.password'"),
    ('[target]\nurl = "https://c"\n[target.auth]\nONTAP_PASSWORD = "x"\n', "refusing key"),
    ('[run]\nusername = "admin"\n', "refusing key 'run.username'"),
    ('[target]\nhost = "c"\n', r"unknown key \[target\] host"),
    ('[cluster]\nurl = "c"\n', r"unknown section \[cluster\]"),
    ("[run\n", "not valid TOML"),
    ('[run]\nmax_objects = "many"\n', "expected int"),
    ('[run]\nmax_objects = 0\n', "at least 1"),
    ('[run]\nrate_limit = -1\n', "positive"),
    ('[target]\ninsecure = "sometimes"\n', "expected bool"),
])
def test_bad_config_files_are_refused_clearly(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(pytest.UsageError, match=message):
        load_config(FakePytestConfig(conformance_config=str(path)))


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(pytest.UsageError, match="no such file"):
        load_config(FakePytestConfig(conformance_config=str(tmp_path / "nope.toml")))


@pytest.mark.parametrize(("options", "message"), [
    ({"target": "cluster.example"}, "http"),
    ({"target": "https://c"}, "needs at least one --svm"),
    ({"target": "https://c", "svms": ["vs1"]}, "ONTAP_USERNAME and ONTAP_PASSWORD"),
    ({"svms": ["vs1"]}, "only applies with --target"),
    ({"target": "https://c", "svms": ["vs1"], "emulator_defects": ["x"]}, "embedded emulator"),
    ({"target": "https://c", "svms": ["vs1"], "emulator_variants": ["x"]}, "--emulator-variant"),
    ({"ca_bundle": "/nonexistent/ca.pem"}, "no such file"),
    ({"max_objects": "ten"}, "expected int"),
])
def test_bad_options_are_refused_clearly(options, message):
    with pytest.raises(pytest.UsageError, match=message):
        load_config(FakePytestConfig(**options))


def test_ca_bundle_and_insecure_conflict(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(pytest.UsageError, match="contradict"):
        load_config(FakePytestConfig(ca_bundle=str(ca), insecure=True))
    assert load_config(FakePytestConfig(ca_bundle=str(ca))).verify == str(ca)


def test_environment_lists_and_booleans(monkeypatch):
    monkeypatch.setenv("ONTAP_CONFORMANCE_EMULATOR_DEFECTS", "leak-password, odd-hex")
    monkeypatch.setenv("ONTAP_CONFORMANCE_EMULATOR_VARIANTS", "short-pages, pretty-json")
    monkeypatch.setenv("ONTAP_CONFORMANCE_ALLOW_DEFAULT_CHANGES", "yes")
    config = load_config(FakePytestConfig())
    assert config.emulator_defects == ("leak-password", "odd-hex")
    assert config.emulator_variants == ("short-pages", "pretty-json")
    assert config.allow_default_changes
