//! `meshctl plan`: what apply would do. Offline (no cluster), or between two revisions of
//! a topology with `--base`.

use super::inputs::read_one;
use super::load::{load_valid, ValidTopology};
use super::CliError;
use crate::output::live::Paint;
use crate::output::{self, plan as render_plan};
use clap::ValueEnum;
use meshctl_certs::topology::{plan_warnings, stored_trust, Invocation, MeshCertificates};
use meshctl_core::graph::{self, Graph, Paths};
use meshctl_core::plan::{self, Plan};
use meshctl_core::topology::load;
use meshctl_core::validate::validate;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    /// The plan document (docs/plan.md describes it).
    Json,
    /// Only the changes, for a pull-request comment.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology to plan.
    #[arg(value_name = "FILE")]
    file: String,
    /// Compare with this earlier revision of the topology instead of live clusters (an
    /// empty file means "nothing existed before").
    #[arg(long, value_name = "OLD")]
    base: Option<String>,
    /// Do not contact any cluster: every node is shown as created.
    #[arg(long)]
    offline: bool,
    #[arg(long, short, value_enum, default_value_t = Format::Human)]
    output: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error (Terraform's
    /// convention).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Where the mesh certificates are kept (default `.meshctl/<topology name>/`).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    cluster: super::live::ClusterArgs,
    /// Live plans: show unchanged nodes too.
    #[arg(long, short)]
    verbose: bool,
    /// Warn when a mesh certificate expires within this long.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = humantime::parse_duration)]
    cert_warn: std::time::Duration,
}

/// The earlier revision a `--base` plan compares with.
struct Base {
    graph: Graph,
    max_weight_change: Option<u32>,
    /// Said to the user when the base could not be taken as it is.
    note: Option<String>,
}

fn read_bytes(file: &str) -> Result<Vec<u8>, CliError> {
    read_one(file)
        .bytes
        .map_err(|d| CliError::Unreadable(d.message))
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// The base revision. An empty file is "nothing existed before". A base that is not
/// valid (the change being planned may be the fix) is compared as far as it can be: as
/// declared when it still builds a graph, else as nothing — with a note, never a failure.
fn read_base(file: &str, args: &Args) -> Result<Base, CliError> {
    let bytes = read_bytes(file)?;
    let nothing = |note: Option<String>| Base {
        graph: Graph::empty(),
        max_weight_change: None,
        note,
    };
    if is_blank(&bytes) {
        return Ok(nothing(None));
    }
    let loaded = match load(&bytes) {
        Ok(loaded) => loaded,
        Err(problems) => {
            let first = problems
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default();
            return Ok(nothing(Some(format!(
                "the base revision {file} is not a readable topology ({first}); every node counts as new"
            ))));
        }
    };
    let errors = validate(&loaded).iter().filter(|d| d.is_error()).count();
    let max_weight_change = loaded
        .topology
        .spec
        .policy
        .as_ref()
        .and_then(|p| p.max_weight_change);
    // The base is an earlier revision of the same file: its paths resolve beside it.
    let paths = Paths::for_file(
        std::path::Path::new(&args.file),
        &loaded.topology,
        args.state_dir.as_deref(),
    );
    Ok(match graph::build(&loaded.topology, &paths) {
        Ok(graph) => Base {
            graph,
            max_weight_change,
            note: (errors > 0).then(|| {
                format!("the base revision {file} has {errors} validation error(s); compared as it was declared")
            }),
        },
        Err(e) => Base {
            max_weight_change,
            ..nothing(Some(format!(
                "the base revision {file} cannot be planned ({e}); every node counts as new"
            )))
        },
    })
}

impl Args {
    /// The topology file when the plan is JSON (see `cli::run`'s error document).
    pub fn json_file(&self) -> Option<&str> {
        (self.output == Format::Json).then_some(self.file.as_str())
    }
}

pub fn run(args: Args, paint: Paint) -> Result<ExitCode, CliError> {
    if args.base.is_none() && !args.offline {
        return live(&args, paint);
    }
    let mut plan = match &args.base {
        Some(base) => base_plan(&args, base)?,
        None => {
            let topology = load_valid(&args.file)?;
            let paths = paths_of(&args, &topology.loaded.topology);
            let mut plan = plan::offline(
                &topology.loaded.topology.metadata.name,
                &graph::build(&topology.loaded.topology, &paths)?,
            );
            add_certificate_warnings(&args, &topology, &mut plan);
            plan
        }
    };
    if args.output != Format::Human {
        for note in &plan.notes {
            eprintln!("note: {note}");
        }
    }
    plan.warnings.sort_by(|a, b| a.code.cmp(b.code));
    output::ignore_broken_pipe(print(&args, &plan, paint))?;
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `plan --base OLD NEW`. An empty NEW plans the removal of everything OLD declares.
fn base_plan(args: &Args, base: &str) -> Result<Plan, CliError> {
    let old = read_base(base, args)?;
    let new_is_blank = args.file != "-" && read_bytes(&args.file).is_ok_and(|b| is_blank(&b));
    let (name, graph, new_limit, topology) = if new_is_blank {
        (args.file.clone(), Graph::empty(), None, None)
    } else {
        let topology = load_valid(&args.file)?;
        let t = &topology.loaded.topology;
        let limit = t.spec.policy.as_ref().and_then(|p| p.max_weight_change);
        (
            t.metadata.name.clone(),
            graph::build(t, &paths_of(args, t))?,
            limit,
            Some(topology),
        )
    };
    let limit = plan::policy::weight_limit(old.max_weight_change, new_limit);
    let mut plan = plan::compare(&name, &old.graph, &graph, limit);
    plan.warnings.extend(plan::policy::certificate_warnings(
        &old.graph,
        &graph,
        stored_trust(&old.graph),
    ));
    plan.notes.extend(old.note);
    if let Some(topology) = &topology {
        add_certificate_warnings(args, topology, &mut plan);
    }
    Ok(plan)
}

/// Where the topology's paths resolve: beside the file, state in `--state-dir` or the default.
fn paths_of(args: &Args, topology: &meshctl_core::topology::Topology) -> Paths {
    Paths::for_file(
        std::path::Path::new(&args.file),
        topology,
        args.state_dir.as_deref(),
    )
}

fn add_certificate_warnings(args: &Args, topology: &ValidTopology, plan: &mut Plan) {
    let t = &topology.loaded.topology;
    let Some(linkerd) = &t.spec.mesh.linkerd else {
        return;
    };
    // Settings that cannot be made are validation's business; nothing to add here.
    let Ok(certificates) = MeshCertificates::new(linkerd, &paths_of(args, t)) else {
        return;
    };
    let invocation = Invocation {
        file: &args.file,
        explicit_state_dir: args.state_dir.as_deref(),
    };
    for warning in plan_warnings(
        &certificates,
        &topology.loaded.index,
        invocation,
        args.cert_warn,
    ) {
        // The human plan lists its warnings itself; machine formats get them on stderr too.
        if args.output != Format::Human {
            eprintln!("warning[{}]: {}", warning.code, warning.message);
        }
        plan.warnings.push(warning);
    }
}

/// The plan against the live clusters: what apply would write, touching nothing.
fn live(args: &Args, paint: Paint) -> Result<ExitCode, CliError> {
    let live = super::live::prepare(&args.file, &args.cluster, args.state_dir.as_deref())?;
    let plan = super::live::runtime()?.block_on(meshctl_executor::plan(&live.graph, &live.options));
    let text = match args.output {
        Format::Human => crate::output::live::plan_human(&plan, args.verbose, paint),
        Format::Markdown => crate::output::live::plan_markdown(&plan, &args.file),
        Format::Json => super::live::json_text(&plan, "plan")?,
    };
    super::live::print_report(&text)?;
    let unreadable = plan.clusters.iter().any(|c| c.error.is_some());
    Ok(if unreadable {
        // A plan with a cluster it could not read is not a statement about that cluster.
        ExitCode::FAILURE
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(args: &Args, plan: &Plan, paint: Paint) -> std::io::Result<()> {
    // One buffer, flushed once: a large JSON plan is otherwise a write per line.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    match args.output {
        Format::Human => {
            stdout.write_all(render_plan::human(plan, &args.file, paint).as_bytes())?
        }
        Format::Markdown => stdout.write_all(render_plan::markdown(plan, &args.file).as_bytes())?,
        Format::Json => {
            plan.write_json(&mut stdout)?;
            writeln!(stdout)?
        }
    }
    stdout.flush()
}
