#!/usr/bin/python3
"""Static and live checks of the operations files under compose/ (issue #9).

No container engine runs where the tests run, so the compose stack is checked by reading it:

  check_ops.py static                      compose file, .env.example, Dockerfile, nginx.conf,
                                           Grafana provisioning and dashboard: structure and rules
  check_ops.py dashboard-metrics FILE      every metric a dashboard query names is in FILE (a
                                           /metrics text of the real gateway), or is exported by
                                           Prometheus/cAdvisor
  check_ops.py prometheus-config --target HOST:PORT --token-file F --out F
                                           compose/prometheus.yml's gateway job, pointed at one
                                           live gateway (scrape every second), nothing else changed
  check_ops.py dashboard-queries URL       every dashboard query is valid PromQL for a running
                                           Prometheus at URL (its /api/v1/query accepts it)
  check_ops.py runtime-libs BINARY...      the Dockerfile's runtime stage installs a Debian package
                                           for every shared library the binaries load
  check_ops.py compose-env SERVICE         the environment compose gives SERVICE, as JSON, with every
                                           required ${VAR:?} filled with a fresh random secret and
                                           ${VAR:-default} with its default (to run the real binary
                                           with it)
  check_ops.py nginx-config --gateway-1 H:P --gateway-2 H:P --minio H:P --listen H:P --dir D --out F
                                           compose/nginx.conf with the compose host names and ports
                                           replaced by loopback ones (and its pid file in D), to be
                                           run by Debian's nginx in front of two real gateways

Exit status 0 when everything holds, 1 with one line per problem otherwise. Run by
Tests/EndToEndTests/Operations*Tests.swift (so `make test` runs it); needs python3-yaml.
"""
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE = os.path.join(ROOT, "compose")
DASHBOARDS = os.path.join(COMPOSE, "grafana", "dashboards")

# Series that come from elsewhere than the gateway: Prometheus' own `up`, and cAdvisor's.
EXTERNAL_METRICS = {"up", "container_cpu_usage_seconds_total", "container_memory_working_set_bytes"}
# The gateway replicas and the services every stack needs.
GATEWAYS = ["gateway-1", "gateway-2"]
REQUIRED_SERVICES = ["postgres", "redis", "minio", "buckets", "schema", *GATEWAYS, "nginx", "migrator",
                     "prometheus", "cadvisor", "grafana"]
BUCKETS = ["messenger-files", "bh-avatars", "bh-uploads", "bh-stickers"]
SECRET_NAME = re.compile(r"(PASS|PASSWORD|SECRET|TOKEN|_KEY)$")
# Libraries every Debian base image has (essential or required packages).
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}

problems = []


def problem(text):
    problems.append(text)


def finish():
    for line in problems:
        print("FAIL:", line)
    if not problems:
        print("ok")
    sys.exit(1 if problems else 0)


def load_yaml(*parts):
    with open(os.path.join(COMPOSE, *parts)) as handle:
        return yaml.safe_load(handle)


# ------------------------------------------------------------------ static checks

def env_dict(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def dependencies(service):
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return {name: "service_started" for name in depends}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()}


def is_one_shot(service):
    return str(service.get("restart", "no")) == "no"


def dockerfile_stages():
    """[(base image, [instructions])] of compose/Dockerfile, continuation lines joined."""
    with open(os.path.join(COMPOSE, "Dockerfile")) as handle:
        text = re.sub(r"\\\n", " ", handle.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line.split()[1], []))
        elif stages:
            stages[-1][1].append(line)
    return stages


def runtime_apt_packages():
    stages = dockerfile_stages()
    packages = set()
    for line in stages[-1][1]:
        match = re.search(r"apt-get install ([^&;]*)", line)
        if match:
            packages.update(word for word in match.group(1).split() if not word.startswith("-"))
    return packages


def check_dockerfile():
    stages = dockerfile_stages()
    if len(stages) < 2:
        problem("Dockerfile: not multi-stage")
        return
    build = " ".join(stages[0][1])
    if "swift build -c release" not in build or "--static-swift-stdlib" not in build:
        problem("Dockerfile: the build stage must run a release build with --static-swift-stdlib")
    runtime = stages[-1][1]
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problem("Dockerfile: the runtime stage must end with a non-root USER")
    if not any(line.upper().startswith("HEALTHCHECK ") for line in runtime):
        problem("Dockerfile: the runtime stage has no HEALTHCHECK")
    copies = " ".join(line for line in runtime if line.upper().startswith("COPY "))
    for needed in ("--from=", "migrations", "gateway-healthcheck.sh"):
        if needed not in copies:
            problem(f"Dockerfile: the runtime stage does not copy {needed}")
    if any("swift" in image for image, _ in stages[1:]):
        problem("Dockerfile: the runtime stage must not be a Swift toolchain image")
    with open(os.path.join(ROOT, ".dockerignore")) as handle:
        ignored = handle.read().split()
    for entry in (".build*/", ".data/", ".git/", "compose/.env"):
        if entry not in ignored:
            problem(f".dockerignore: {entry} is not excluded from the build context")


def check_compose():
    compose = load_yaml("docker-compose.yml")
    services = compose.get("services") or {}
    for name in REQUIRED_SERVICES:
        if name not in services:
            problem(f"compose: service {name} is missing")
    if problems:
        return compose

    images = {name: str(service.get("image", "")) for name, service in services.items()}
    if not images["postgres"].startswith("postgres:16"):
        problem("compose: postgres must be PostgreSQL 16")
    if not images["redis"].startswith("redis:7"):
        problem("compose: redis must be Redis 7")
    if "minio/minio" not in images["minio"]:
        problem("compose: minio must run the MinIO server image")

    dockerfile_has_healthcheck = any(
        line.upper().startswith("HEALTHCHECK ") for line in dockerfile_stages()[-1][1])
    for name, service in services.items():
        builds_gateway = (service.get("build") or {}).get("dockerfile") == "compose/Dockerfile"
        if is_one_shot(service):
            continue
        if "healthcheck" not in service and not (builds_gateway and dockerfile_has_healthcheck):
            problem(f"compose: long-running service {name} has no health check")
        for port in service.get("ports") or []:
            if name != "nginx" and not str(port).startswith("127.0.0.1:"):
                problem(f"compose: {name} publishes {port} beyond loopback (only nginx is public)")
    for name in ("postgres", "redis", "minio", *GATEWAYS):
        if services[name].get("ports"):
            problem(f"compose: {name} must not publish ports")

    # depends_on: known services, conditions that can be met, no default service waiting on a profile.
    for name, service in services.items():
        for target, condition in dependencies(service).items():
            if target not in services:
                problem(f"compose: {name} depends on unknown service {target}")
                continue
            other = services[target]
            if condition == "service_healthy" and "healthcheck" not in other and not (
                (other.get("build") or {}).get("dockerfile") == "compose/Dockerfile" and dockerfile_has_healthcheck
            ):
                problem(f"compose: {name} waits for {target} to be healthy, which has no health check")
            if condition == "service_completed_successfully" and not is_one_shot(other):
                problem(f"compose: {name} waits for {target} to complete, but {target} restarts")
            if other.get("profiles") and not service.get("profiles"):
                problem(f"compose: {name} depends on {target}, which only runs in a profile")

    # Gateways: two identical replicas from the project's Dockerfile, with every dependency.
    first, second = (services[name] for name in GATEWAYS)
    if first != second:
        problem("compose: gateway-1 and gateway-2 must be identical replicas")
    gateway_env = env_dict(first)
    if (first.get("build") or {}).get("dockerfile") != "compose/Dockerfile":
        problem("compose: gateways must build compose/Dockerfile")
    for key, expected in (("ENVIRONMENT", "production"), ("HOST", "0.0.0.0"), ("REDIS_HOST", "redis"),
                          ("DB_HOST", "postgres"), ("MINIO_ENDPOINT", "minio:9000")):
        if gateway_env.get(key) != expected:
            problem(f"compose: gateways need {key}={expected}")
    if not gateway_env.get("METRICS_TOKEN") and not gateway_env.get("METRICS_PORT"):
        problem("compose: /metrics is not protected (set METRICS_TOKEN or METRICS_PORT on the gateways)")
    if gateway_env.get("METRICS_PORT"):
        problem("compose: METRICS_PORT listens on loopback only, Prometheus could not scrape it; use METRICS_TOKEN")
    gateway_deps = dependencies(first)
    for target, condition in (("schema", "service_completed_successfully"), ("redis", "service_healthy"),
                              ("buckets", "service_completed_successfully")):
        if gateway_deps.get(target) != condition:
            problem(f"compose: gateways must wait for {target} ({condition})")
    if dependencies(services["schema"]).get("postgres") != "service_healthy":
        problem("compose: schema must wait for a healthy postgres")
    if services["schema"].get("command") != ["migrate"]:
        problem("compose: schema must run `gateway migrate`")

    # The bucket job creates all four buckets once MinIO is healthy.
    buckets = services["buckets"]
    script = " ".join(buckets.get("command") or []) if isinstance(buckets.get("command"), list) else str(buckets.get("command"))
    if "mc mb" not in script or not all(bucket in script for bucket in BUCKETS):
        problem(f"compose: buckets must create {', '.join(BUCKETS)} with mc mb")
    if dependencies(buckets).get("minio") != "service_healthy":
        problem("compose: buckets must wait for a healthy minio")

    # The migrator is a one-shot job behind a profile.
    migrator = services["migrator"]
    if "migrate" not in (migrator.get("profiles") or []) or not is_one_shot(migrator):
        problem("compose: migrator must be a one-shot service in the `migrate` profile")
    if migrator.get("entrypoint") != ["/app/migrator"]:
        problem("compose: migrator must run /app/migrator")

    nginx = services["nginx"]
    nginx_deps = dependencies(nginx)
    for gateway in GATEWAYS:
        if nginx_deps.get(gateway) != "service_healthy":
            problem(f"compose: nginx must wait for a healthy {gateway}")
    if not any("nginx.conf" in str(volume) for volume in nginx.get("volumes") or []):
        problem("compose: nginx must mount compose/nginx.conf")

    prometheus = services["prometheus"]
    if not any("prometheus.yml" in str(volume) for volume in prometheus.get("volumes") or []):
        problem("compose: prometheus must mount compose/prometheus.yml")
    secret_targets = [s.get("target") if isinstance(s, dict) else f"/run/secrets/{s}" for s in prometheus.get("secrets") or []]
    if "/etc/prometheus/metrics_token" not in secret_targets:
        problem("compose: prometheus needs the metrics_token secret at /etc/prometheus/metrics_token")
    if (compose.get("secrets") or {}).get("metrics_token", {}).get("environment") != "METRICS_TOKEN":
        problem("compose: the metrics_token secret must come from METRICS_TOKEN")

    grafana_volumes = " ".join(str(volume) for volume in services["grafana"].get("volumes") or [])
    for needed in ("grafana/provisioning", "grafana/dashboards"):
        if needed not in grafana_volumes:
            problem(f"compose: grafana must mount compose/{needed}")
    check_secrets(compose)
    return compose


def check_secrets(compose):
    """Secret-looking variables are required `${NAME:?…}` references, listed empty in .env.example."""
    referenced = set()
    for name, service in compose["services"].items():
        for key, value in env_dict(service).items():
            if not SECRET_NAME.search(key):
                continue
            match = re.fullmatch(r"\$\{([A-Z0-9_]+):\?[^}]*\}", str(value or ""))
            if not match:
                problem(f"compose: {name}.{key} must be a required ${{VAR:?}} reference, not a value or a default")
            else:
                referenced.add(match.group(1))
    with open(os.path.join(COMPOSE, "docker-compose.yml")) as handle:
        uncommented = re.sub(r"(^|\s)#[^\n]*", "", handle.read())
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", uncommented))
    example = {}
    with open(os.path.join(COMPOSE, ".env.example")) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                example[key] = value
    for variable in sorted(required):
        if variable not in example:
            problem(f".env.example: {variable} (required by the compose file) is not listed")
    for key, value in example.items():
        if SECRET_NAME.search(key) and value:
            problem(f".env.example: {key} must be empty (no secret values in the repository)")
    with open(os.path.join(ROOT, ".gitignore")) as handle:
        if "compose/.env" not in handle.read().split():
            problem(".gitignore: compose/.env (the filled-in secrets) is not ignored")


def check_prometheus_config(compose):
    config = load_yaml("prometheus.yml")
    jobs = {job["job_name"]: job for job in config.get("scrape_configs") or []}
    gateway = jobs.get("gateway")
    if not gateway:
        problem("prometheus.yml: no `gateway` job")
        return
    targets = sorted(t for group in gateway.get("static_configs") or [] for t in group.get("targets") or [])
    if targets != sorted(f"{name}:8080" for name in GATEWAYS):
        problem(f"prometheus.yml: the gateway job must scrape {GATEWAYS} on 8080, not {targets}")
    auth = gateway.get("authorization") or {}
    if auth.get("credentials_file") != "metrics_token" or auth.get("type", "Bearer") != "Bearer":
        problem("prometheus.yml: the gateway job must send METRICS_TOKEN as a bearer token from credentials_file metrics_token")
    if gateway.get("metrics_path", "/metrics") != "/metrics":
        problem("prometheus.yml: the gateway's metrics path is /metrics")
    cadvisor = jobs.get("cadvisor")
    if not cadvisor or "cadvisor:8080" not in [t for g in cadvisor.get("static_configs") or [] for t in g.get("targets") or []]:
        problem("prometheus.yml: no cadvisor job scraping cadvisor:8080")


def check_nginx():
    with open(os.path.join(COMPOSE, "nginx.conf")) as handle:
        text = re.sub(r"#[^\n]*", "", handle.read())
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", text))
    for name in ("gateways", "gateways_websocket"):
        if name not in upstreams:
            problem(f"nginx.conf: no `upstream {name}` block")
            return
        for gateway in GATEWAYS:
            if f"server {gateway}:8080" not in upstreams[name]:
                problem(f"nginx.conf: {gateway}:8080 is not in upstream {name}")
        for sticky in ("ip_hash", "hash ", "sticky"):
            if sticky in upstreams[name]:
                problem(f"nginx.conf: upstream {name} must not pin clients ({sticky.strip()})")
    # The gateway upgrades only on a connection's first request (307 on a reused one).
    if "keepalive" in upstreams["gateways_websocket"]:
        problem("nginx.conf: /ws's upstream must not reuse connections (no keepalive)")
    websocket = re.search(r"location\s*=\s*/ws\s*\{([^}]*)\}", text)
    if not websocket:
        problem("nginx.conf: no `location = /ws`")
    else:
        body = websocket.group(1)
        for needed in ("proxy_pass http://gateways_websocket;", "proxy_set_header Upgrade $http_upgrade",
                       "proxy_set_header Connection $connection_upgrade", "proxy_read_timeout"):
            if needed not in body:
                problem(f"nginx.conf: /ws lacks `{needed}`")
    if "$request " in text or '"$request"' in text:
        problem("nginx.conf: the access log must not write $request (the /ws query string may hold a token)")
    if not re.search(r"location\s*=\s*/metrics\s*\{\s*return\s+404;", text):
        problem("nginx.conf: /metrics must not be reachable through nginx")
    if "map $http_upgrade $connection_upgrade" not in text:
        problem("nginx.conf: no Upgrade -> Connection map")


def dashboards():
    for name in sorted(os.listdir(DASHBOARDS)):
        if name.endswith(".json"):
            with open(os.path.join(DASHBOARDS, name)) as handle:
                yield name, json.load(handle)


def dashboard_queries():
    """(dashboard, panel title, expression) of every query, template variable queries included."""
    for name, dashboard in dashboards():
        for variable in (dashboard.get("templating") or {}).get("list") or []:
            query = variable.get("query")
            if isinstance(query, dict):
                query = query.get("query")
            if variable.get("type") == "query" and query:
                yield name, f"variable {variable['name']}", query
        stack = list(dashboard.get("panels") or [])
        while stack:
            panel = stack.pop(0)
            stack.extend(panel.get("panels") or [])
            for target in panel.get("targets") or []:
                if target.get("expr"):
                    yield name, panel.get("title", "?"), target["expr"]


def check_grafana():
    datasources = load_yaml("grafana", "provisioning", "datasources", "prometheus.yml")["datasources"]
    uids = {source.get("uid") for source in datasources}
    if not any(source.get("url") == "http://prometheus:9090" for source in datasources):
        problem("grafana: the data source must be the compose Prometheus (http://prometheus:9090)")
    providers = load_yaml("grafana", "provisioning", "dashboards", "messenger.yml")["providers"]
    if not any((p.get("options") or {}).get("path") == "/var/lib/grafana/dashboards" for p in providers):
        problem("grafana: no dashboard provider reading /var/lib/grafana/dashboards")
    found = list(dashboards())
    if not found:
        problem("grafana: no dashboard JSON in compose/grafana/dashboards")
    for name, dashboard in found:
        if not dashboard.get("uid") or not dashboard.get("title"):
            problem(f"{name}: a dashboard needs a uid and a title")
        stack = list(dashboard.get("panels") or [])
        while stack:
            panel = stack.pop(0)
            stack.extend(panel.get("panels") or [])
            if panel.get("type") == "row":
                continue
            source = (panel.get("datasource") or {}).get("uid")
            if source not in uids:
                problem(f"{name}: panel {panel.get('title')!r} uses data source {source!r}, not a provisioned one")
            if not panel.get("targets"):
                problem(f"{name}: panel {panel.get('title')!r} has no query")
    expressions = " ".join(expression for _, _, expression in dashboard_queries())
    # The list of what the dashboard shows, by the series that show it.
    for topic, series in (("request rate", "rate(messenger_http_requests_total"),
                          ("latency percentiles", "messenger_http_request_duration_seconds_bucket"),
                          ("error rate", 'status=~"5.."'),
                          ("WebSocket connections", "messenger_ws_connections_active"),
                          ("messages/s", "messenger_messages_sent_total"),
                          ("fan-out lag", "messenger_bus_delivery_lag_seconds_bucket"),
                          ("DB pool", "messenger_db_pool_connections_in_use"),
                          ("Redis and object-store errors", "messenger_dependency_errors_total")):
        if series not in expressions:
            problem(f"grafana: the dashboard does not show {topic} ({series})")


# ------------------------------------------------------------------ PromQL

PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or",
    "unless", "inf", "nan", "e",
}


def metric_names(expression):
    """Metric names an expression selects. Strings, label matchers, ranges and grouping clauses
    are removed first; what remains that is an identifier and not a function or keyword is a
    metric. `label_values(metric, label)` (a Grafana variable query) names `metric`."""
    if expression.startswith("label_values("):
        inner = expression[len("label_values("):].rsplit(")", 1)[0]
        parts = [part.strip() for part in inner.split(",")]
        return set(metric_names(parts[0])) if len(parts) == 2 else set()
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expression)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        after = text[match.end():].lstrip()
        if after.startswith("(") or word.lower() in PROMQL_WORDS:
            continue
        before = text[:match.start()]
        if re.search(r"[0-9.]$", before):  # exponent of a number such as 1e-9
            continue
        names.add(word)
    return names


def exported_series(metrics_text):
    names = set()
    for line in metrics_text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))
    return names


def check_dashboard_metrics(metrics_file):
    with open(metrics_file) as handle:
        exported = exported_series(handle.read())
    for dashboard, panel, expression in dashboard_queries():
        names = metric_names(expression)
        if not names:
            problem(f"{dashboard}: panel {panel!r}: no metric found in {expression!r}")
        for name in names:
            if name in exported or name in EXTERNAL_METRICS:
                continue
            problem(f"{dashboard}: panel {panel!r} queries {name}, which the gateway does not export")


# ------------------------------------------------------------------ live Prometheus

def derive_prometheus_config(target, token_file, out):
    """compose/prometheus.yml with the gateway job aimed at `target`; cAdvisor and Prometheus' own
    jobs are left out (nothing runs them here). Auth settings stay exactly as in compose."""
    config = load_yaml("prometheus.yml")
    jobs = [job for job in config["scrape_configs"] if job["job_name"] == "gateway"]
    jobs[0]["static_configs"] = [{"targets": [target]}]
    jobs[0]["authorization"]["credentials_file"] = os.path.abspath(token_file)
    jobs[0]["scrape_interval"] = "1s"
    jobs[0]["scrape_timeout"] = "1s"
    config["scrape_configs"] = jobs
    with open(out, "w") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)


def grafana_substitutions(expression):
    expression = expression.replace("$__rate_interval", "1m").replace("$__interval", "15s")
    return expression.replace("$instance", ".*")


def check_dashboard_queries(url):
    for dashboard, panel, expression in dashboard_queries():
        if expression.startswith("label_values("):
            continue
        query = urllib.parse.urlencode({"query": grafana_substitutions(expression)})
        try:
            with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            body = json.load(error)
        if body.get("status") != "success":
            problem(f"{dashboard}: panel {panel!r}: Prometheus rejects {expression!r}: {body.get('error')}")


# ------------------------------------------------------------------ runtime libraries

def check_runtime_libraries(binaries):
    """Every shared library of the binaries (except the Swift runtime, which the image links
    statically) belongs to a package the runtime stage installs or the base image has."""
    installed = runtime_apt_packages() | BASE_PACKAGES
    loaded = {}  # library path -> binaries loading it
    for binary in binaries:
        output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
        for line in output.splitlines():
            match = re.search(r"=>\s*(/\S+)", line)
            if match and "/swift/" not in match.group(1):
                loaded.setdefault(match.group(1), []).append(os.path.basename(binary))
    # One dpkg query for every path (and its resolved form: /lib vs /usr/lib under merged /usr).
    candidates = {path: {path, os.path.realpath(path)} for path in loaded}
    queried = sorted(set().union(*candidates.values())) if candidates else []
    owners = {}
    if queried:
        result = subprocess.run(["dpkg", "-S", *queried], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            packages, _, path = line.partition(": ")
            owners.setdefault(path.strip(), set()).update(entry.split(":")[0] for entry in packages.split(", "))
    for path, users in sorted(loaded.items()):
        packages = set().union(*(owners.get(candidate, set()) for candidate in candidates[path]))
        if not packages:
            problem(f"{', '.join(users)}: {path} belongs to no Debian package")
        elif not packages & installed:
            problem(f"Dockerfile: {', '.join(users)} loads {path} ({', '.join(sorted(packages))}), "
                    "which the runtime stage does not install")


# ------------------------------------------------------------------ compose environment

def interpolate(value, filled):
    """Compose's interpolation of one value: `$$` is `$`, `${VAR:?…}` must be set (here: a random
    secret, the same for every use of VAR), `${VAR:-default}` falls back to its default."""
    def replace(match):
        name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
        if name in filled:
            return filled[name]
        if operator == "?":
            filled[name] = os.urandom(24).hex()
            return filled[name]
        if operator == "-":
            return argument
        return os.environ.get(name, "")
    value = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}", replace, str(value).replace("$$", "\0"))
    return value.replace("\0", "$")


def print_compose_env(service):
    compose = load_yaml("docker-compose.yml")
    filled = {}
    env = {key: interpolate(value, filled) for key, value in env_dict(compose["services"][service]).items()}
    print(json.dumps(env, indent=2, sort_keys=True))


# ------------------------------------------------------------------ nginx

def derive_nginx_config(options):
    """compose/nginx.conf, unchanged but for the addresses that only exist inside compose."""
    with open(os.path.join(COMPOSE, "nginx.conf")) as handle:
        text = handle.read()
    replacements = [
        ("server gateway-1:8080", f"server {options['--gateway-1']}"),  # in both upstreams
        ("server gateway-2:8080", f"server {options['--gateway-2']}"),
        ("proxy_pass http://minio:9000/", f"proxy_pass http://{options['--minio']}/"),
        ("listen 80;", f"listen {options['--listen']};"),
        ("pid /tmp/nginx.pid;", f"pid {os.path.join(options['--dir'], 'nginx.pid')};"),
    ]
    for old, new in replacements:
        if old not in text:
            problem(f"nginx.conf: `{old}` not found; update check_ops.py's nginx-config with it")
        text = text.replace(old, new)
    with open(options["--out"], "w") as handle:
        handle.write(text)


def main(argv):
    if not argv:
        print(__doc__)
        sys.exit(2)
    command, args = argv[0], argv[1:]
    if command == "static":
        compose = check_compose()
        check_dockerfile()
        check_prometheus_config(compose)
        check_nginx()
        check_grafana()
    elif command == "dashboard-metrics" and len(args) == 1:
        check_dashboard_metrics(args[0])
    elif command == "prometheus-config" and len(args) == 6:
        options = dict(zip(args[::2], args[1::2]))
        derive_prometheus_config(options["--target"], options["--token-file"], options["--out"])
    elif command == "dashboard-queries" and len(args) == 1:
        check_dashboard_queries(args[0].rstrip("/"))
    elif command == "compose-env" and len(args) == 1:
        print_compose_env(args[0])
        return
    elif command == "nginx-config" and len(args) == 12:
        derive_nginx_config(dict(zip(args[::2], args[1::2])))
    elif command == "runtime-libs" and args:
        check_runtime_libraries(args)
    else:
        print(__doc__)
        sys.exit(2)
    finish()


if __name__ == "__main__":
    main(sys.argv[1:])
