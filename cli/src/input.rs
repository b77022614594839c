//! The manifests a command analyzes: files, directories, stdin or a bundled example, loaded into a
//! [`Cluster`] whose diagnostics are reported on stderr before the command answers.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use moat_engine::diagnostic::ResolvedDiagnostic;
use moat_engine::model::versions::{Options, Release};
use moat_engine::render::diagnostics;
use moat_engine::{Cluster, Diagnostic, Severity, Sources};

use crate::Io;
use crate::commands::examples;
use crate::error::CliError;
use crate::output::{Format, write_json};

/// Extensions read when walking a directory. A file named on the command line is read whatever its
/// extension.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The name stdin's manifests get in diagnostics and explanations.
const STDIN_NAME: &str = "<stdin>";

#[derive(clap::Args)]
pub struct InputArgs {
    /// Manifest files, directories (searched recursively for .yaml, .yml and .json files; hidden
    /// ones skipped) or `-` for stdin
    #[arg(value_name = "PATH", required_unless_present = "example", conflicts_with = "example")]
    paths: Vec<PathBuf>,

    /// Analyze a bundled example cluster instead of files (`moat examples` lists them)
    #[arg(long, value_name = "NAME")]
    example: Option<String>,

    #[command(flatten)]
    pub options: ReadOptions,
}

/// How manifests are read and evaluated, whatever names them.
#[derive(clap::Args)]
pub struct ReadOptions {
    /// Also report notes about the input (ignored kinds, pods that take no part)
    #[arg(short, long)]
    verbose: bool,

    /// How hostNetwork pods are evaluated, which Kubernetes leaves to the network plugin: as their
    /// node, never selected by policies (most plugins), or like any other pod
    #[arg(long, value_enum, value_name = "node|pod", default_value_t)]
    host_network: HostNetwork,

    /// Pods in phase Succeeded or Failed: left out (they have no network), or evaluated as if they
    /// still ran, as netpol-analyzer does
    #[arg(long, value_enum, value_name = "exclude|include", default_value_t)]
    terminal_pods: TerminalPods,

    #[command(flatten)]
    release: ReleaseArgs,
}

/// The Kubernetes release the manifests are evaluated as.
#[derive(clap::Args)]
pub struct ReleaseArgs {
    /// The Kubernetes release to evaluate as: it decides which API versions are served, how pods are
    /// isolated and which fields exist (`moat versions` lists them) [default: the newest]
    #[arg(long, value_name = "X.Y")]
    kubernetes_version: Option<Release>,

    /// Feature gates of that release, `Name=true|false`, comma-separated or repeated
    #[arg(long, value_name = "NAME=BOOL", value_delimiter = ',', value_parser = parse_gate)]
    feature_gates: Vec<(String, bool)>,
}

impl ReleaseArgs {
    pub fn options(&self) -> Options {
        options(self.kubernetes_version, &self.feature_gates)
    }
}

/// Evaluation options from a release (the newest when `None`) and feature gates.
pub fn options(release: Option<Release>, gates: &[(String, bool)]) -> Options {
    Options { kubernetes_version: release.unwrap_or_default(), feature_gates: gates.iter().cloned().collect() }
}

/// `Name=true` or `Name=false`, as kube-apiserver's `--feature-gates` takes them.
pub fn parse_gate(text: &str) -> Result<(String, bool), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not `Name=true|false`"))?;
    let value = value.trim().parse::<bool>().map_err(|_| format!("`{text}`: the value must be `true` or `false`"))?;
    Ok((name.trim().to_string(), value))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum HostNetwork {
    #[default]
    Node,
    Pod,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TerminalPods {
    #[default]
    Exclude,
    Include,
}

impl ReadOptions {
    /// The cluster of `sources`, evaluated as these options say.
    pub fn cluster(&self, sources: Sources) -> Cluster {
        let mut cluster = Cluster::from_sources_with(sources, &self.release.options());
        if self.host_network == HostNetwork::Pod {
            cluster.host_network_as_pods();
        }
        if self.terminal_pods == TerminalPods::Include {
            cluster.terminal_pods_as_running();
        }
        cluster
    }

    /// Whether notes about the input are wanted.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// Reports the cluster's diagnostics and `more` (from an analysis of it) on stderr, as JSON when
    /// `format` is JSON (the format of the command's output) and rendered with carets otherwise.
    pub fn report(&self, cluster: &Cluster, more: &[Diagnostic], format: Format, io: &mut Io<'_>) -> io::Result<()> {
        report(cluster, more, self.verbose, format, io.stderr)
    }
}

impl InputArgs {
    /// Reads every input, builds the cluster and reports its diagnostics.
    pub fn load(&self, io: &mut Io<'_>, format: Format) -> Result<Cluster, CliError> {
        let cluster = self.read(io)?;
        self.options.report(&cluster, &[], format, io)?;
        Ok(cluster)
    }

    /// Reads every input into a cluster, leaving its diagnostics to the caller (who may add its own
    /// with [`ReadOptions::report`]).
    pub fn read(&self, io: &mut Io<'_>) -> Result<Cluster, CliError> {
        let mut sources = Sources::default();
        if let Some(name) = &self.example {
            let example = examples::find(name)?;
            sources.add(format!("{}.yaml", example.name), example.text);
        }
        read_paths(&self.paths, &mut sources, io)?;
        Ok(self.options.cluster(sources))
    }
}

/// Reads files, directories (recursively) and `-` (stdin) into `sources`.
pub fn read_paths(paths: &[PathBuf], sources: &mut Sources, io: &mut Io<'_>) -> Result<(), CliError> {
    for path in paths {
        if path == Path::new("-") {
            let mut text = String::new();
            io.stdin.read_to_string(&mut text).map_err(|e| CliError::Failed(format!("cannot read stdin: {e}")))?;
            sources.add(STDIN_NAME, text);
            continue;
        }
        let files =
            if path.is_dir() { manifest_files(path).map_err(|e| cannot_read(path, &e))? } else { vec![path.clone()] };
        if files.is_empty() {
            writeln!(io.stderr, "warning: `{}` holds no .yaml, .yml or .json files", path.display())?;
        }
        for file in files {
            let text = fs::read_to_string(&file).map_err(|e| cannot_read(&file, &e))?;
            sources.add(file.display().to_string(), text);
        }
    }
    Ok(())
}

fn cannot_read(path: &Path, error: &io::Error) -> CliError {
    CliError::Failed(format!("cannot read `{}`: {error}", path.display()))
}

/// The manifest files under `dir`, depth first, each directory's entries sorted by name. Hidden
/// entries are skipped (they include the `..data` links of mounted ConfigMaps). Symbolic links to
/// files are read; links to directories are not followed, so a link cycle cannot trap the walk.
fn manifest_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    let mut files = Vec::new();
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            files.extend(manifest_files(&path)?);
        } else if path.is_file() && has_manifest_extension(&path) {
            files.push(path);
        }
    }
    Ok(files)
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| MANIFEST_EXTENSIONS.iter().any(|known| ext.eq_ignore_ascii_case(known)))
}

/// Errors and warnings (notes too with `--verbose`): rendered with carets and counted, or as one
/// JSON array.
pub fn report(
    cluster: &Cluster,
    more: &[Diagnostic],
    verbose: bool,
    format: Format,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    let shown: Vec<&Diagnostic> =
        cluster.diagnostics.iter().chain(more).filter(|d| verbose || d.severity != Severity::Note).collect();
    let Some(summary) = diagnostics::summary(shown.iter().copied()) else {
        return Ok(());
    };
    match format {
        Format::Json => {
            let resolved: Vec<ResolvedDiagnostic> =
                diagnostics::in_source_order(shown).into_iter().map(|d| d.resolve(&cluster.sources)).collect();
            write_json(stderr, &resolved)
        }
        Format::Text => {
            // An invalid name is an error that does not exclude its object (see `parse`).
            let rejected = shown.iter().any(|d| d.severity == Severity::Error && d.code != "invalid-name");
            write!(stderr, "{}", diagnostics::render_all(shown, &cluster.sources))?;
            let consequence = if rejected { "; objects with errors are left out" } else { "" };
            writeln!(stderr, "\n{summary} in the input{consequence}\n")
        }
    }
}
