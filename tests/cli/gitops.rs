//! GitOps: SARIF, GitHub annotations, directories of topologies and the pull-request
//! check of scripts/gitops-check.sh (see docs/gitops.md).

use crate::common::{
    example_text, example_with, line_of, meshctl, provide_workload_files, root, write,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The walkthrough's own service subnets: 10.97.0.0/12 is 10.96.0.0/12, so they overlap.
fn walkthrough_subnets() -> String {
    example_with("serviceSubnet: 10.96.0.0/16", "serviceSubnet: 10.96.0.0/12").replacen(
        "serviceSubnet: 10.97.0.0/16",
        "serviceSubnet: 10.97.0.0/12",
        1,
    )
}

/// 1-based column of the first `needle` on 1-based `line` of `text`.
fn column_of(text: &str, line: usize, needle: &str) -> usize {
    let l = text.lines().nth(line - 1).expect("line exists");
    l.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not on line {line}"))
        + 1
}

/// `meshctl ARGS` in `dir`: (exit code, stdout, stderr).
fn meshctl_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = meshctl()
        .current_dir(dir)
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .expect("meshctl runs");
    finished(output, &format!("meshctl {args:?}"))
}

fn finished(output: Output, what: &str) -> (i32, String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{what} panicked:\n{stderr}");
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("{what} was killed:\n{stderr}"));
    (code, stdout, stderr)
}

/// The SARIF 2.1.0 schema the CI check uses, as a validator of whole SARIF logs; `None`,
/// said on stderr, when a clone has no ../shared beside it.
fn sarif_validator() -> Option<jsonschema::Validator> {
    let path = root().join("../shared/schemas/sarif-schema-2.1.0.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED SARIF schema validation: {} is absent (the official sarif-schema-2.1.0.json lives in ../shared/schemas beside the repository)",
            path.display()
        );
        return None;
    };
    // The official schema's `language` pattern has a stray `]` (a literal `]` in
    // JavaScript, a syntax error for the validator's regex engine): escape it.
    let text = text.replace(r#"-[a-zA-Z]{2}]?$"#, r#"-[a-zA-Z]{2}\\]?$"#);
    let mut schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
    // This copy keeps the log object's own rules under `definitions.Root` and leaves the
    // root unconstrained (it would accept anything); validate against `Root`.
    if schema.get("properties").is_none() && schema.pointer("/definitions/Root").is_some() {
        schema["allOf"] = serde_json::json!([{"$ref": "#/definitions/Root"}]);
    }
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the SARIF schema compiles: {e}"));
    // The validator must bite, or a pass below would mean nothing.
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}},
        "results": [{"level": "fatal", "message": {"text": "x"}}]}]});
    assert!(
        !validator.is_valid(&broken),
        "the SARIF schema accepts a log without a driver name and a bad level"
    );
    Some(validator)
}

/// Why `log` is not valid SARIF 2.1.0 (nothing when the schema is absent).
fn sarif_errors(log: &Value) -> Vec<String> {
    sarif_validator()
        .map(|validator| {
            validator
                .iter_errors(log)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sarif_of_the_walkthrough_subnets_is_valid_sarif_at_the_right_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = walkthrough_subnets();
    write(dir.path(), "topology.yaml", &text);
    let (code, stdout, stderr) = meshctl_in(
        dir.path(),
        &["validate", "--output", "sarif", "topology.yaml"],
    );
    assert_eq!(code, 1, "an invalid topology fails:\n{stdout}\n{stderr}");
    let log: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("SARIF is JSON ({e}):\n{stdout}"));

    let errors = sarif_errors(&log);
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}\n{log:#}",
        errors.join("\n")
    );

    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run = &log["runs"][0];
    assert_eq!(log["runs"].as_array().map(Vec::len), Some(1), "one run");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "meshctl");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));

    let results = run["results"].as_array().expect("results");
    let overlap: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "E023").collect();
    assert_eq!(overlap.len(), 1, "one E023 result:\n{log:#}");
    let result = overlap[0];
    let line = line_of(&text, "serviceSubnet: 10.97.0.0/12", 0);
    let other_line = line_of(&text, "serviceSubnet: 10.96.0.0/12", 0);
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "topology.yaml");
    assert_eq!(location["region"]["startLine"], line);
    assert_eq!(
        location["region"]["startColumn"],
        column_of(&text, line, "10.97.0.0/12")
    );
    let related = &result["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "topology.yaml");
    assert_eq!(
        related["region"]["startLine"], other_line,
        "the related location is demo's subnet"
    );
    let message = result["message"]["text"].as_str().expect("message text");
    assert!(
        message.contains("spec.clusters[1].serviceSubnet") && message.contains("help: "),
        "{message}"
    );

    // The rule the result points at explains the code, with help text for the UI.
    let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    let rule = &driver["rules"][index];
    assert_eq!(rule["id"], "E023");
    assert_eq!(
        rule["shortDescription"]["text"],
        "subnets of two clusters overlap"
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert!(
        rule["help"]["text"].as_str().is_some_and(|h| !h.is_empty()),
        "{rule:#}"
    );
    // Warnings are results too (W021: 10.97.0.0/12 has host bits set), at warning level.
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "W021" && r["level"] == "warning"),
        "{log:#}"
    );
}

#[test]
fn sarif_of_a_valid_topology_and_of_stdin() {
    // The loop-free walkthrough: the example itself carries a W039 warning.
    let (code, stdout, _) = meshctl_in(
        &root(),
        &[
            "validate",
            "--output",
            "sarif",
            "examples/walkthrough-loop-free.yaml",
        ],
    );
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert!(sarif_errors(&log).is_empty(), "{log:#}");
    assert_eq!(
        log["runs"][0]["results"],
        serde_json::json!([]),
        "no results for a valid topology"
    );

    let output = meshctl()
        .args(["validate", "--output", "sarif", "-"])
        .write_stdin(walkthrough_subnets())
        .timeout(TIMEOUT)
        .output()
        .expect("meshctl runs");
    let (code, stdout, _) = finished(output, "validate -");
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert!(sarif_errors(&log).is_empty(), "{log:#}");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "stdin"
    );
}

#[test]
fn github_annotation_is_exactly_one_error_at_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The issuer outliving its trust anchor (87600h) is one mistake, on one line.
    let text = example_with("validity: 8760h", "validity: 100000h");
    write(dir.path(), "topology.yaml", &text);
    let (code, stdout, _) = meshctl_in(
        dir.path(),
        &["validate", "--output", "github", "topology.yaml"],
    );
    assert_eq!(code, 1);
    let line = line_of(&text, "validity: 100000h", 0);
    let col = column_of(&text, line, "100000h");
    let expected = format!(
        "::error file=topology.yaml,line={line},col={col},title=meshctl E062::\
         spec.mesh.linkerd.issuer.generate.validity: the issuer would be valid for 100000h, \
         longer than its trust anchor (87600h)%0Ahelp: "
    );
    // One error; besides it only the walkthrough's gateway-loop warning (W039).
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("::error")).count(),
        1,
        "one error annotation:\n{stdout}"
    );
    assert!(
        stdout
            .lines()
            .filter(|l| !l.starts_with("::error"))
            .all(|l| l.starts_with("::warning") && l.contains("W039")),
        "{stdout}"
    );
    assert!(
        stdout.starts_with(&expected),
        "expected\n{expected}…\ngot\n{stdout}"
    );
}

/// The example moved to other cluster names, contexts and subnets; `pools` replaces its
/// LoadBalancer ranges (none: the example's own ranges).
fn second_topology(pools: Option<(&str, &str)>) -> String {
    let mut text = example_text()
        .replace("demo", "west")
        .replacen("10.244.0.0/16", "10.246.0.0/16", 1)
        .replacen("10.245.0.0/16", "10.247.0.0/16", 1)
        .replacen("10.96.0.0/16", "10.98.0.0/16", 1)
        .replacen("10.97.0.0/16", "10.99.0.0/16", 1);
    if let Some((first, second)) = pools {
        text = text.replacen("172.18.0.61-172.18.0.70", first, 1).replacen(
            "172.18.0.71-172.18.0.80",
            second,
            1,
        );
    }
    text
}

/// A repository-like directory: two topologies and kustomize files beside them.
fn fleet_dir(second: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "east/topology.yaml", &example_text());
    write(dir.path(), "west/topology.yaml", second);
    write(
        dir.path(),
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\n",
    );
    write(
        dir.path(),
        "west/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n",
    );
    dir
}

#[test]
fn directory_with_overlapping_pools_fails_naming_both_files_and_lines() {
    let second = second_topology(None);
    let dir = fleet_dir(&second);
    let (alone, _, _) = meshctl_in(dir.path(), &["validate", "west/topology.yaml"]);
    assert_eq!(alone, 0, "each topology is valid on its own");

    // The human report is diagnostics: on stderr.
    let (code, stdout, stderr) = meshctl_in(dir.path(), &["validate", "."]);
    assert_eq!(
        code, 1,
        "overlapping pools across files fail:\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout, "");
    let first = line_of(&second, "172.18.0.61-172.18.0.70", 0);
    let other = line_of(&example_text(), "172.18.0.61-172.18.0.70", 0);
    assert!(stderr.contains("error[E080]"), "{stderr}");
    assert!(
        stderr.contains(&format!("west/topology.yaml:{first}:")),
        "names the file and line:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("east/topology.yaml:{other}:")),
        "names the other file and line:\n{stderr}"
    );
    assert!(
        // Each copy of the walkthrough carries its gateway-loop warning (W039).
        stderr.contains("2 errors, 2 warnings in 2 files"),
        "kustomize files are not topologies:\n{stderr}"
    );
    assert!(
        !stderr.contains("kustomization.yaml") && !stderr.contains("deploy.yaml"),
        "{stderr}"
    );

    // The same as annotations: one per overlapping pool, on the later file's lines.
    let (code, stdout, _) = meshctl_in(dir.path(), &["validate", "--output", "github", "."]);
    assert_eq!(code, 1);
    let second_pool = line_of(&second, "172.18.0.71-172.18.0.80", 0);
    // Besides the walkthrough's gateway-loop warnings (W039).
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("::warning") || !l.contains("W039"))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (annotation, line) in lines.iter().zip([first, second_pool]) {
        assert!(
            annotation.starts_with(&format!(
                "::error file=./west/topology.yaml,line={line},col=17,title=meshctl E080::"
            )) || annotation.starts_with(&format!(
                "::error file=west/topology.yaml,line={line},col=17,title=meshctl E080::"
            )),
            "{annotation}"
        );
        assert!(annotation.contains("east/topology.yaml"), "{annotation}");
    }

    // SARIF: the related location is in the other file.
    let (_, stdout, _) = meshctl_in(dir.path(), &["validate", "--output", "sarif", "."]);
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    let result = log["runs"][0]["results"]
        .as_array()
        .and_then(|results| results.iter().find(|r| r["ruleId"] != "W039"))
        .expect("a result besides the walkthrough's W039");
    assert_eq!(result["ruleId"], "E080");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "west/topology.yaml"
    );
    let related = &result["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "east/topology.yaml");
    assert_eq!(related["region"]["startLine"], other);
}

#[test]
fn directory_of_disjoint_topologies_passes() {
    let dir = fleet_dir(&second_topology(Some((
        "172.18.0.81-172.18.0.90",
        "172.18.0.91-172.18.0.100",
    ))));
    let (code, stdout, stderr) = meshctl_in(dir.path(), &["validate", "."]);
    assert_eq!(code, 0, "disjoint topologies pass:\n{stdout}\n{stderr}");
    assert!(stderr.contains("in 2 files"), "{stderr}");
    assert!(
        !stderr.contains("kustomization.yaml") && !stderr.contains("deploy.yaml"),
        "{stderr}"
    );
    // A glob over the same files agrees.
    let (code, _, stderr) = meshctl_in(dir.path(), &["validate", "*/topology.yaml"]);
    assert_eq!(code, 0, "{stderr}");
}

// ---- the pull-request check (scripts/gitops-check.sh, as action.yml runs it) ----

/// `cmd` without the environment that would point git elsewhere (as inside a git hook)
/// or change the script's behaviour.
fn isolated(mut cmd: Command) -> Command {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GITHUB_STEP_SUMMARY",
        "MESHCTL",
        "MESHCTL_TOPOLOGIES",
        "MESHCTL_FLEET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn git(repo: &Path, args: &[&str]) -> String {
    let output = isolated(Command::new("git"))
        .current_dir(repo)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A repository whose first commit is the example as `topology.yaml`; returns its sha.
fn repo_with_example(dir: &Path) -> String {
    repo_with(dir, &example_text())
}

/// A repository whose first commit is `topology` as `topology.yaml`; returns its sha.
fn repo_with(dir: &Path, topology: &str) -> String {
    std::fs::create_dir_all(dir).expect("temp dir is writable");
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    git(dir, &["config", "user.name", "meshctl tests"]);
    git(dir, &["config", "user.email", "tests@meshctl.invalid"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    write(dir, "topology.yaml", topology);
    write(dir, "README.md", "# clusters\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "base"]);
    git(dir, &["rev-parse", "HEAD"])
}

fn commit(dir: &Path, file: &str, text: &str, message: &str) {
    write(dir, file, text);
    git(dir, &["add", file]);
    git(dir, &["commit", "--quiet", "-m", message]);
}

/// Runs `bash scripts/gitops-check.sh ARGS` in `repo` with the built meshctl first on
/// PATH; returns (exit code, stdout, stderr, the Markdown summary).
fn gitops_check(repo: &Path, args: &[&str]) -> (i32, String, String, String) {
    let bin: PathBuf = assert_cmd::cargo::cargo_bin("meshctl");
    let bin_dir = bin.parent().expect("the binary has a directory");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH joins");
    let summary = repo.join("../summary.md");
    let output = isolated(Command::new("bash"))
        .arg(root().join("scripts/gitops-check.sh"))
        .args(args)
        .current_dir(repo)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("MESHCTL_SUMMARY", &summary)
        .env("MESHCTL_VALIDATE_OUTPUT", "github")
        .output()
        .expect("bash runs");
    let (code, stdout, stderr) = finished(output, "gitops-check.sh");
    let markdown = std::fs::read_to_string(&summary).unwrap_or_default();
    (code, stdout, stderr, markdown)
}

/// The first split's backends (cluster `demo`): 50 local, 50 from demo3.
const DEMO_SPLIT: &str = "        - service: podinfo
          weight: 50
        - service: podinfo
          cluster: demo3
          weight: 50
";

#[test]
fn sample_pr_changing_one_split_plans_only_that_split() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    let base = repo_with_example(&repo);
    let shifted =
        DEMO_SPLIT
            .replacen("weight: 50", "weight: 80", 1)
            .replacen("weight: 50", "weight: 20", 1);
    commit(
        &repo,
        "topology.yaml",
        &example_with(DEMO_SPLIT, &shifted),
        "shift podinfo 80/20 in demo",
    );
    commit(
        &repo,
        "README.md",
        "# clusters\n\nnotes\n",
        "unrelated change",
    );

    // The action's call: the changed topologies are found from the base ref.
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(
        code, 0,
        "a valid change passes:\nstdout:\n{stdout}\nstderr:\n{stderr}\nsummary:\n{markdown}"
    );
    // No error; the walkthrough's gateway-loop warning (W039) is the only annotation.
    assert!(
        !stdout.contains("::error")
            && stdout
                .lines()
                .filter(|l| l.starts_with("::warning"))
                .all(|l| l.contains("W039")),
        "no annotations but W039:\n{stdout}"
    );
    assert!(
        markdown.contains("`topology.yaml`"),
        "the summary names the changed file:\n{markdown}"
    );
    assert!(
        markdown.contains("demo/test/TrafficSplit/podinfo"),
        "the changed split is planned:\n{markdown}"
    );
    assert!(
        !markdown.contains("demo3/test/TrafficSplit/podinfo"),
        "the other split did not change:\n{markdown}"
    );
    assert!(
        !markdown.contains("IPAddressPool"),
        "unchanged nodes are not shown:\n{markdown}"
    );
    assert!(!markdown.contains("README"), "{markdown}");

    // The same steps by hand, as documented in docs/gitops.md.
    let (code, stdout, _) = meshctl_in(&repo, &["validate", "--output", "github", "topology.yaml"]);
    // The walkthrough's gateway-loop warning (W039) is its only annotation.
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("::warning") && l.contains("W039")),
        "no annotations for a valid head but W039:\n{stdout}"
    );
    let base_text = git(&repo, &["show", &format!("{base}:topology.yaml")]);
    write(&repo, "../base.yaml", &base_text);
    let (code, plan, stderr) = meshctl_in(
        &repo,
        &[
            "plan",
            "--base",
            "../base.yaml",
            "topology.yaml",
            "--output",
            "markdown",
        ],
    );
    assert_eq!(
        code, 0,
        "plan --base exits 0 without --detailed-exitcode:\n{plan}\n{stderr}"
    );
    assert!(
        plan.contains("demo/test/TrafficSplit/podinfo") && !plan.contains("IPAddressPool"),
        "{plan}"
    );
    let (code, _, _) = meshctl_in(
        &repo,
        &[
            "plan",
            "--base",
            "../base.yaml",
            "topology.yaml",
            "--output",
            "markdown",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(code, 2, "--detailed-exitcode: 2 = changes pending");
}

#[test]
fn sample_pr_with_a_mistake_fails_with_an_annotation_and_no_plan() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    let base = repo_with_example(&repo);
    let text = example_with("validity: 8760h", "validity: 100000h");
    commit(&repo, "topology.yaml", &text, "longer issuer");
    std::fs::create_dir_all(repo.join("clusters/prod")).expect("mkdir");
    commit(
        &repo,
        "clusters/prod/notes.yaml",
        "not: a topology\n",
        "notes",
    );

    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(
        code, 1,
        "an invalid topology fails the check:\n{stdout}\n{stderr}"
    );
    let line = line_of(&text, "validity: 100000h", 0);
    assert!(
        stdout.starts_with(&format!("::error file=topology.yaml,line={line},col="))
            && stdout.contains("E062"),
        "the annotation points at the line:\n{stdout}"
    );
    assert!(
        !stdout.contains("notes.yaml"),
        "files outside the pattern are not checked:\n{stdout}"
    );
    assert!(
        markdown.contains("Validation failed") && markdown.contains("E062"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("TrafficSplit"),
        "no plan of an invalid topology:\n{markdown}"
    );

    // Explicit files and usage errors.
    let (code, _, _, _) = gitops_check(&repo, &[&base, "topology.yaml"]);
    assert_eq!(code, 1);
    let (code, _, stderr, _) = gitops_check(&repo, &[]);
    assert_eq!(code, 2, "no base ref is a usage error: {stderr}");
}

#[test]
fn sample_pr_without_topology_changes_passes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    let base = repo_with_example(&repo);
    commit(
        &repo,
        "README.md",
        "# clusters\n\nmore notes\n",
        "docs only",
    );
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(markdown.contains("no topology changed"), "{markdown}");
}

#[test]
fn sample_pr_adding_a_topology_checks_it_against_the_others() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    let base = repo_with_example(&repo);
    // A second topology reusing the first one's LoadBalancer pools.
    let overlapping = second_topology(None);
    commit(
        &repo,
        "clusters/west/topology.yaml",
        &overlapping,
        "add west",
    );
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(
        code, 1,
        "a new topology overlapping an unchanged one fails:\n{stdout}\n{stderr}"
    );
    let line = line_of(&overlapping, "172.18.0.61-172.18.0.70", 0);
    assert!(
        stdout.contains(&format!(
            "::error file=clusters/west/topology.yaml,line={line},col=17,title=meshctl E080::"
        )),
        "the overlap is annotated on the changed file:\n{stdout}"
    );
    assert!(
        stdout.contains("in topology.yaml"),
        "and names the other file:\n{stdout}"
    );
    assert!(markdown.contains("E080"), "{markdown}");

    // Fixed: disjoint pools. A new file plans everything as created.
    let disjoint = second_topology(Some((
        "172.18.0.81-172.18.0.90",
        "172.18.0.91-172.18.0.100",
    )));
    commit(
        &repo,
        "clusters/west/topology.yaml",
        &disjoint,
        "west gets its own pools",
    );
    std::fs::remove_file(tmp.path().join("summary.md")).expect("the summary was written");
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(code, 0, "{stdout}\n{stderr}\n{markdown}");
    assert!(
        markdown.contains("west/cluster") && markdown.contains("to create"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("demo/cluster"),
        "the unchanged topology is not planned:\n{markdown}"
    );
}

#[test]
fn sample_pr_over_the_weight_policy_warns_in_the_plan() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    let with_policy = |text: &str| {
        text.replacen(
            "\nspec:\n",
            "\nspec:\n  policy:\n    maxWeightChange: 20\n",
            1,
        )
    };
    let base = repo_with(&repo, &with_policy(&example_text()));
    let shifted =
        DEMO_SPLIT
            .replacen("weight: 50", "weight: 80", 1)
            .replacen("weight: 50", "weight: 20", 1);
    commit(
        &repo,
        "topology.yaml",
        &with_policy(&example_with(DEMO_SPLIT, &shifted)),
        "80/20",
    );
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(
        code, 0,
        "the policy warns, it does not fail:\n{stdout}\n{stderr}\n{markdown}"
    );
    assert!(
        markdown.contains("W073") && markdown.contains("20 points"),
        "{markdown}"
    );
}

// ---- what a directory search picks up, and what it must not hang on ----

#[test]
fn directory_with_a_mistyped_kind_fails_naming_the_file() {
    // A second topology of its own (no overlaps), with its kind mistyped three ways.
    let second = second_topology(Some((
        "172.18.0.81-172.18.0.90",
        "172.18.0.91-172.18.0.100",
    )));
    let typo = second.replacen("\nkind: Topology\n", "\nkind: Topolgy\n", 1);
    assert_ne!(typo, second, "the example has a top-level `kind: Topology`");
    let bom_crlf = format!(
        "\u{feff}{}",
        second
            .replacen("\nkind: Topology\n", "\nkind: \"Topolgy\"\n", 1)
            .replace('\n', "\r\n")
    );
    let key_case = second.replacen("\nkind: Topology\n", "\nKind: Topology\n", 1);
    let line = line_of(&typo, "kind: Topolgy", 0);

    for (variant, text, code) in [
        ("typo", typo.as_str(), "E011"),
        ("BOM and CRLF", bom_crlf.as_str(), "E011"),
        ("capital key", key_case.as_str(), "E007"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "clusters/good.yaml", &example_text());
        write(dir.path(), "clusters/bad.yaml", text);
        write(
            dir.path(),
            "clusters/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\n",
        );
        write(
            dir.path(),
            "clusters/deploy.yaml",
            "apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: podinfo\r\n",
        );
        let (status, stdout, stderr) =
            meshctl_in(dir.path(), &["validate", "--output", "github", "clusters"]);
        assert_eq!(
            status, 1,
            "{variant}: a topology with a wrong kind is not skipped:\n{stdout}\n{stderr}"
        );
        let expected = if code == "E011" {
            format!("::error file=clusters/bad.yaml,line={line},col=7,title=meshctl E011::")
        } else {
            "::error file=clusters/bad.yaml,".to_string()
        };
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&expected) && l.contains(code)),
            "{variant}: expected `{expected}` ({code}):\n{stdout}"
        );
        // good.yaml (the walkthrough) has only its gateway-loop warning (W039).
        assert!(
            !stdout.contains("::error file=clusters/good.yaml"),
            "{variant}: only the broken file is reported:\n{stdout}"
        );

        // The human report says the same, and the kustomize files are still skipped.
        let (status, _, stderr) = meshctl_in(dir.path(), &["validate", "clusters"]);
        assert_eq!(status, 1, "{variant}:\n{stderr}");
        assert!(stderr.contains(&format!("error[{code}]")), "{stderr}");
        assert!(stderr.contains("in 2 files"), "{variant}:\n{stderr}");
        assert!(
            !stderr.contains("kustomization.yaml") && !stderr.contains("deploy.yaml"),
            "{stderr}"
        );
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn directory_walks_do_not_follow_symlinked_directories_or_open_fifos() {
    use std::os::unix::fs::symlink;
    const SHORT: Duration = Duration::from_secs(10);

    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    write(dir, "fleet/a/topology.yaml", &example_text());
    // Loops, a way out of the tree and a link to a directory elsewhere.
    symlink(".", dir.join("fleet/a/self")).expect("symlink");
    symlink("..", dir.join("fleet/a/up")).expect("symlink");
    write(dir, "elsewhere/topology.yaml", &second_topology(None));
    symlink("../../elsewhere", dir.join("fleet/a/outside")).expect("symlink");
    // A link to a regular file is a file like any other.
    write(
        dir,
        "shared/west.yaml",
        &second_topology(Some((
            "172.18.0.81-172.18.0.90",
            "172.18.0.91-172.18.0.100",
        ))),
    );
    symlink("../shared/west.yaml", dir.join("fleet/west.yaml")).expect("symlink");
    // Its workload files are looked for beside the link, where it is found.
    provide_workload_files(
        &dir.join("fleet/west.yaml"),
        &second_topology(Some((
            "172.18.0.81-172.18.0.90",
            "172.18.0.91-172.18.0.100",
        ))),
    );
    // Nobody writes to these: opening one would block for ever.
    mkfifo(&dir.join("fleet/x.yaml"));
    mkfifo(&dir.join("fleet/a/y.yml"));

    for args in [
        vec!["validate", "fleet"],
        vec!["validate", "fleet/a/up"],
        vec!["validate", "fleet/**/*.y*ml"],
    ] {
        let output = meshctl()
            .current_dir(dir)
            .args(&args)
            .timeout(SHORT)
            .output()
            .expect("meshctl runs");
        let (code, stdout, stderr) = finished(output, &format!("meshctl {args:?}"));
        assert_eq!(code, 0, "{args:?}:\n{stdout}\n{stderr}");
        // Two topologies, each once: not through `self`, `up` or `outside`.
        let root = if args[1] == "fleet/a/up" {
            "fleet/a/up"
        } else {
            "fleet"
        };
        // Each is a copy of the walkthrough, with its one gateway-loop warning (W039).
        assert!(
            stderr.contains("0 errors, 2 warnings in 2 files")
                && stderr.matches(&format!("{root}/a/topology.yaml:")).count() == 1
                && stderr.matches(&format!("{root}/west.yaml:")).count() == 1,
            "{args:?}: each topology once:\n{stderr}"
        );
    }

    // A FIFO named on the command line is read: that is the caller's choice.
    let fifo = dir.join("fleet/x.yaml");
    provide_workload_files(&fifo, &example_text());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, example_text()))
    };
    let output = meshctl()
        .current_dir(dir)
        .args(["validate", "fleet/x.yaml"])
        .timeout(SHORT)
        .output()
        .expect("meshctl runs");
    let (code, stdout, stderr) = finished(output, "meshctl validate fleet/x.yaml");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("fleet/x.yaml:") && stderr.contains("0 errors, 1 warning in 1 file"),
        "{stderr}"
    );
    writer
        .join()
        .expect("writer")
        .expect("the FIFO was written");
}

// ---- the pull-request check with CRLF files, `.yml` and a base that was broken ----

#[test]
fn sample_pr_sees_crlf_topologies_and_yml_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    // The unchanged topology has Windows line ends (and a byte-order mark).
    let crlf = format!("\u{feff}{}", example_text().replace('\n', "\r\n"));
    let base = repo_with(&repo, &crlf);
    // A new `.yml` topology reusing its LoadBalancer pools, also CRLF.
    let overlapping = second_topology(None).replace('\n', "\r\n");
    commit(
        &repo,
        "clusters/west/topology.yml",
        &overlapping,
        "add west",
    );
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(
        code, 1,
        "the overlap with the CRLF topology is found:\n{stdout}\n{stderr}\n{markdown}"
    );
    let line = line_of(&second_topology(None), "172.18.0.61-172.18.0.70", 0);
    assert!(
        stdout.contains(&format!(
            "::error file=clusters/west/topology.yml,line={line},col=17,title=meshctl E080::"
        )),
        "the `.yml` file is checked by default, against the CRLF one:\n{stdout}"
    );
    assert!(stdout.contains("in topology.yaml"), "{stdout}");

    let disjoint = second_topology(Some((
        "172.18.0.81-172.18.0.90",
        "172.18.0.91-172.18.0.100",
    )))
    .replace('\n', "\r\n");
    commit(
        &repo,
        "clusters/west/topology.yml",
        &disjoint,
        "west gets its own pools",
    );
    std::fs::remove_file(tmp.path().join("summary.md")).expect("the summary was written");
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(code, 0, "{stdout}\n{stderr}\n{markdown}");
    assert!(
        markdown.contains("`clusters/west/topology.yml`") && markdown.contains("west/cluster"),
        "{markdown}"
    );
}

#[test]
fn sample_pr_fixing_overlapping_subnets_passes_and_shows_its_plan() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    // The base revision is invalid (E023), and this pull request is the fix.
    let base = repo_with(&repo, &walkthrough_subnets());
    commit(
        &repo,
        "topology.yaml",
        &example_text(),
        "give the clusters disjoint service subnets",
    );
    let (code, stdout, stderr, markdown) = gitops_check(&repo, &[&base]);
    assert_eq!(
        code, 0,
        "fixing a broken topology passes:\nstdout:\n{stdout}\nstderr:\n{stderr}\nsummary:\n{markdown}"
    );
    assert!(!stdout.contains("::error"), "{stdout}");
    assert!(
        markdown.contains("`topology.yaml`")
            && markdown.contains("`demo/cluster`")
            && markdown.contains("+ \"10.96.0.0/16\""),
        "the plan of the fix is shown:\n{markdown}"
    );
    assert!(
        !markdown.contains("plan failed") && !markdown.contains("Validation failed"),
        "{markdown}"
    );
    // The base is named after the revision, never after the script's temporary copy.
    for (what, text) in [
        ("summary", &markdown),
        ("stderr", &stderr),
        ("stdout", &stdout),
    ] {
        assert!(
            !text.contains("base.yaml") && !text.contains(&*tmp.path().to_string_lossy()),
            "the temporary base file leaks into the {what}:\n{text}"
        );
    }
    assert!(
        markdown.contains(&format!("topology.yaml@{base}"))
            || stderr.contains(&format!("topology.yaml@{base}")),
        "the note on the invalid base names it `topology.yaml@<base>`:\n{markdown}\n{stderr}"
    );
}
