"""The man pages: they pass mandoc's lint, and they describe every command,
option, configuration key, environment variable and exit code that the
program and the examples have. Runs after `make`: no binary is a failure."""

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINARY = REPO / "bedrock-trail"
PAGE1 = REPO / "man" / "bedrock-trail.1"
PAGE5 = REPO / "man" / "bedrock-trail.yaml.5"


def run(args):
    return subprocess.run([str(a) for a in args], capture_output=True,
        text=True, cwd=REPO, stdin=subprocess.DEVNULL, timeout=60)


def binary_output(*args):
    if not BINARY.exists():
        pytest.fail("%s does not exist: run `make` first" % BINARY)
    r = run([BINARY] + list(args))
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


def section(page, name):
    """The mdoc source of one .Sh section."""
    text = page.read_text()
    m = re.search(r"^\.Sh %s\n(.*?)(?=^\.Sh |\Z)" % re.escape(name), text,
        re.S | re.M)
    assert m, "%s has no section %s" % (page.name, name)
    return m.group(1)


def commands_in_help():
    out = binary_output("--help")
    m = re.search(r"^Commands:\n(.*?)\n\n", out, re.S | re.M)
    assert m, out
    names = [line.split()[0] for line in m.group(1).splitlines()]
    assert len(names) >= 7, names
    return names


@pytest.mark.parametrize("page", [PAGE1, PAGE5], ids=lambda p: p.name)
def test_mandoc_lint_is_clean(page):
    r = run(["mandoc", "-Tlint", "-W", "warning", page])
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", \
        r.stdout + r.stderr


@pytest.mark.parametrize("page", [PAGE1, PAGE5], ids=lambda p: p.name)
def test_page_renders(page):
    r = run(["mandoc", "-Tascii", page])
    assert r.returncode == 0, r.stderr
    text = re.sub(".\x08", "", r.stdout)
    for heading in ("NAME", "DESCRIPTION", "SEE ALSO"):
        assert "\n%s\n" % heading in text, heading


def test_every_command_of_help_has_an_entry():
    src = PAGE1.read_text()
    cmds = section(PAGE1, "DESCRIPTION")
    for name in commands_in_help():
        assert re.search(r"^\.It Cm %s\b" % re.escape(name), cmds, re.M), \
            "no '.It Cm %s' entry in bedrock-trail.1 DESCRIPTION" % name
        assert re.search(r"^\.Cm %s\b" % re.escape(name),
            section(PAGE1, "SYNOPSIS"), re.M), \
            "%s is not in the SYNOPSIS" % name
    assert ".Sh SYNOPSIS" in src


def test_every_option_of_help_is_documented():
    """The long and short options of `--help` and of each `help COMMAND`."""
    text = PAGE1.read_text()
    outs = [binary_output("--help")]
    outs += [binary_output("help", c) for c in commands_in_help()
        if c != "help"]
    longs, shorts = set(), set()
    for out in outs:
        longs |= set(re.findall(r"(?<![\w-])--([a-z][a-z-]+)", out))
        shorts |= set(re.findall(r"(?<![\w-])-([a-zA-Z])\b", out))
    assert {"config", "region", "state-file", "since", "until",
        "format", "access-key-id", "session-token-stdin", "forget-key",
        "role-arn", "external-id",
        "endpoint-url", "ca-bundle", "quiet", "verbose", "help",
        "version"} <= longs, longs
    assert {"c", "r", "q", "v", "h", "o"} <= shorts, shorts
    for opt in sorted(longs):
        assert re.search(r"(Fl |Fl \w , )\\-%s\b" % opt, text), \
            "--%s is not in bedrock-trail.1" % opt
    for opt in sorted(shorts):
        assert re.search(r"Fl %s\b|Fl [a-z]*%s[a-z]*\b" % (opt, opt), text), \
            "-%s is not in bedrock-trail.1" % opt


def config_keys():
    """Every key of examples/config.yaml, set or commented out as '#key:'."""
    text = (REPO / "examples" / "config.yaml").read_text()
    keys = re.findall(r"^#?([a-z_]+):", text, re.M)
    assert len(keys) >= 16, keys
    return keys


def test_every_config_key_is_in_the_config_page():
    keys_section = PAGE5.read_text()
    for key in config_keys():
        assert re.search(r"^\.It Ic %s : Ar \w+$" % key, keys_section, re.M), \
            "key %s has no entry in bedrock-trail.yaml.5" % key


def test_every_config_key_default_is_in_the_config_page():
    """The literal defaults set in examples/config.yaml appear in the
    key's entry."""
    text = (REPO / "examples" / "config.yaml").read_text()
    page = PAGE5.read_text()
    for key, value in re.findall(r"^([a-z_]+): (\S.*)$", text, re.M):
        value = value.strip('"')
        entry = re.search(r"^\.It Ic %s :.*?(?=^\.It Ic |^\.El)" % key,
            page, re.S | re.M).group(0)
        assert "Default:\n.Ql %s " % value in entry or \
            "Default:\n.Ql %s\n" % value in entry, (key, value, entry)


def test_both_pages_point_at_each_other():
    assert ".Xr bedrock-trail.yaml 5" in section(PAGE1, "SEE ALSO")
    assert ".Xr bedrock-trail 1" in section(PAGE5, "SEE ALSO")


def test_every_environment_variable_is_documented():
    env = section(PAGE1, "ENVIRONMENT")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_CLOUDTRAIL",
            "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "HTTPS_PROXY", "NO_PROXY",
            "XDG_CONFIG_HOME", "XDG_STATE_HOME", "TMPDIR", "HOME",
            "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
            "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_ENDPOINT_URL_STS"):
        assert re.search(r"^\.It Ev (\S+ , )*%s\b" % var, env, re.M), var


def test_every_exit_code_is_documented():
    codes = re.findall(r"^\.It (\d+)$", section(PAGE1, "EXIT STATUS"), re.M)
    assert {"0", "64", "65", "66", "69", "73", "74", "75", "77", "78"} <= \
        set(codes), codes


def test_every_file_is_documented():
    files = section(PAGE1, "FILES")
    for f in ("/etc/bedrock-trail/config.yaml",
            "$XDG_CONFIG_HOME/bedrock-trail/config.yaml",
            "/var/lib/bedrock-trail/state.json",
            "$XDG_STATE_HOME/bedrock-trail/state.json", "STATE.lock",
            "credentials.enc", "/etc/bedrock-trail/master.key",
            "$XDG_CONFIG_HOME/bedrock-trail/master.key"):
        assert ".It Pa %s\n" % f in files, f


def test_spec_record_example_is_in_the_page():
    """The record shown is SPEC section 4's example, key for key."""
    import json
    src = section(PAGE1, "DESCRIPTION")
    m = re.search(r"^\.Ss Records\n.*?^\.Bd -literal\n(.*?)^\.Ed", src,
        re.S | re.M)
    shown = json.loads(m.group(1))
    spec = json.loads((REPO / "tests" / "fixtures" / "records" /
        "spec-example.expected").read_text())
    assert list(shown) == list(spec)
    assert shown == spec


# ---- README


README = REPO / "README.md"


def test_readme_first_screen_has_the_two_setup_commands():
    text = README.read_text()
    first = re.search(r"^```sh\n(.*?)^```", text, re.S | re.M)
    assert text.index(first.group(0)) < 1500, "not on the first screen"
    cmds = [l.split("#")[0].strip() for l in first.group(1).splitlines()]
    assert cmds == ["make demo", "make check"]


def test_readme_links_and_installed_paths_exist():
    text = README.read_text()
    for rel in re.findall(r"\]\(((?:examples|cron\.d)/[^)#]+|LICENSE)\)",
            text):
        assert (REPO / rel).exists(), rel
    for name in re.findall(r"/usr/local/share/doc/bedrock-trail/examples/"
            r"([\w./*-]+)", text):
        src = REPO / ("cron.d/bedrock-trail" if name.startswith("cron.d/")
            else "examples/" + name)
        assert list(src.parent.glob(src.name)), name


def test_readme_paths_match_the_service_config():
    text = README.read_text()
    cfg = (REPO / "examples" / "service-config.yaml").read_text()
    for key in ("state_file", "credentials_file", "key_file", "output"):
        path = re.search(r"^%s: (\S+)$" % key, cfg, re.M).group(1)
        assert "`%s`" % path in text, (key, path)
    for d in ("/etc/bedrock-trail/private", "/var/lib/bedrock-trail",
            "/var/log/bedrock-trail"):
        assert re.search(r"install -d -o bedrock-trail .*%s" % re.escape(d),
            text), d


def test_readme_says_what_cloudtrail_cannot_see():
    text = README.read_text()
    for word in ("InvokeAgent", "Retrieve", "RetrieveAndGenerate",
            "ApplyGuardrail", "StartAsyncInvoke",
            "InvokeModelWithBidirectionalStream", "token counts"):
        assert word in text, word


def test_readme_exit_codes_match_the_man_page():
    readme = set(re.findall(r"^\| (\d+) \|", README.read_text(), re.M))
    man = set(re.findall(r"^\.It (\d+)$", section(PAGE1, "EXIT STATUS"),
        re.M))
    assert readme == man


def help_options():
    outs = [binary_output("--help")]
    outs += [binary_output("help", c) for c in commands_in_help()
        if c != "help"]
    longs, shorts = set(), set()
    for out in outs:
        longs |= set(re.findall(r"(?<![\w-])--([a-z][a-z-]+)", out))
        shorts |= set(re.findall(r"(?<![\w-])-([a-zA-Z])\b", out))
    return longs, shorts


def test_every_option_of_the_man_page_is_in_help():
    """The other way round: bedrock-trail.1 names no option that help
    leaves out, so the two always agree."""
    text = "\n".join(l for l in PAGE1.read_text().splitlines()
        if not l.startswith(".\\\""))
    # Options of bedrock-trail itself: leave out the other commands that
    # the examples run (aws, systemctl, runuser, jq, ...).
    own = re.sub(r"^\.Bd -literal.*?^\.Ed$", "", text, flags=re.S | re.M)
    longs = set(re.findall(r"\bFl (?:\w , )?\\-([a-z][a-z-]+)", own))
    shorts = set(re.findall(r"\bFl ([a-zA-Z]+)\b", own))
    shorts = {c for s in shorts for c in s}
    hl, hs = help_options()
    assert longs - hl == set(), "in bedrock-trail.1 but not in help"
    assert shorts - hs == set(), "in bedrock-trail.1 but not in help"
    assert hl - longs == set(), "in help but not in bedrock-trail.1"


@pytest.mark.parametrize("page", [PAGE1, PAGE5], ids=lambda p: p.name)
def test_man_renders_without_a_troff_warning(page):
    """groff, which man(1) uses, warns where mandoc does not: a word too
    long for the line ("can't break line"), a quote nested wrongly."""
    r = subprocess.run(["man", "-l", str(page)], capture_output=True,
        text=True, env={"PATH": "/usr/bin:/bin", "MANWIDTH": "80",
        "LANG": "C.UTF-8", "MAN_KEEP_FORMATTING": "0"}, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = re.sub(".\x08", "", r.stdout)
    # It once rendered as (`90m, `24h, `7d, each quote closed at the end.
    if page == PAGE1:
        assert "(\u201890m\u2019, \u201824h\u2019, \u20187d\u2019)" in \
            text.replace("\n", " ")
