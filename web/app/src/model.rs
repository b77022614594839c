//! The playground's state and every action on it, without any browser code: the files, the release,
//! the incremental [`Workspace`] that re-analyses them on each edit, the view with its filters and
//! selection, the pinned baseline and its diff, and what the side panel shows.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use moat_engine::Cluster;
use moat_engine::model::labels::{LabelSelector, Operator, Requirement};
use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::{NEWEST, OLDEST, Options, Release};
use moat_engine::query::Explanation;
use moat_engine::query::diff::{ChangeKind, Diff, diff};
use moat_engine::query::flow::{Flow, PortRef, evaluate};
use moat_engine::render::describe::{PodDescription, PolicyDescription, describe_pod, describe_policy};
use moat_engine::source::Location;
use moat_engine::workspace::Workspace;
use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, PairExplanation, PortFilter, Problem, explain_pair, explanation_lines, lint_problems};
use crate::examples;
use crate::share::{self, Link, Shared};

/// Above this many endpoints the matrix is the default view: a graph gets too dense to read.
pub const GRAPH_LIMIT: usize = 40;
/// Lint runs on every edit while pods × policies stays under this; above, on request (its checks
/// judge many flows, and would slow typing down).
pub const AUTO_LINT_LIMIT: usize = 5_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Graph,
    Matrix,
    Policies,
    Probe,
}

impl View {
    pub const ALL: [View; 4] = [View::Graph, View::Matrix, View::Policies, View::Probe];

    pub fn title(self) -> &'static str {
        match self {
            View::Graph => "Graph",
            View::Matrix => "Matrix",
            View::Policies => "Policies",
            View::Probe => "Probe",
        }
    }
}

/// What the graph and the matrix show: the ports asked about, and the endpoints in focus.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `TCP`, `UDP` or `SCTP`; `None`: any protocol (TCP when a port is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A label selector, kubectl style: `app=web,tier!=db,env,!legacy,tier in (a,b)`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub labels: String,
    /// Which connections the graph draws; `None`: chosen by their number (see [`crate::scene::graph`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edges: Option<Edges>,
}

/// Kinds of connections, for the graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Edges {
    #[default]
    All,
    /// Allowed by a rule: some policy isolates a side, and a rule lets the connection through.
    Rules,
    /// Open: no policy isolates either side.
    Open,
}

impl Edges {
    pub fn admits(self, open: bool) -> bool {
        match self {
            Edges::All => true,
            Edges::Rules => !open,
            Edges::Open => open,
        }
    }
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    pub fn ports(&self) -> PortFilter {
        PortFilter { port: self.port, protocol: self.protocol.as_deref().and_then(|p| p.parse::<Protocol>().ok()) }
    }

    /// The label selector, `Ok(None)` when empty.
    pub fn selector(&self) -> Result<Option<LabelSelector>, String> {
        parse_selector(&self.labels)
    }
}

/// Parses kubectl's selector syntax into the engine's selector (which does the matching).
pub fn parse_selector(text: &str) -> Result<Option<LabelSelector>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut selector = LabelSelector::default();
    // Split at commas outside parentheses.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        let requirement = |key: &str, operator, values: BTreeSet<String>| Requirement {
            key: key.trim().to_string(),
            operator,
            values,
        };
        let set = |list: &str| -> Result<BTreeSet<String>, String> {
            let inner = list.trim().strip_prefix('(').and_then(|l| l.strip_suffix(')'));
            let inner = inner.ok_or_else(|| format!("`{part}`: write the values in parentheses, `key in (a,b)`"))?;
            Ok(inner.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect())
        };
        if let Some((key, values)) = part.split_once(" notin ") {
            selector.match_expressions.push(requirement(key, Operator::NotIn, set(values)?));
        } else if let Some((key, values)) = part.split_once(" in ") {
            selector.match_expressions.push(requirement(key, Operator::In, set(values)?));
        } else if let Some((key, value)) = part.split_once("!=") {
            selector.match_expressions.push(requirement(key, Operator::NotIn, [value.trim().to_string()].into()));
        } else if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
            selector.match_labels.insert(key.trim().to_string(), value.trim().to_string());
        } else if let Some(key) = part.strip_prefix('!') {
            selector.match_expressions.push(requirement(key, Operator::DoesNotExist, BTreeSet::new()));
        } else if part.contains(char::is_whitespace) {
            return Err(format!(
                "`{part}` is not a label requirement: write `key=value`, `key!=value`, `key`, `!key` or `key in (a,b)`"
            ));
        } else {
            selector.match_expressions.push(requirement(part, Operator::Exists, BTreeSet::new()));
        }
    }
    Ok(Some(selector))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Selection {
    /// An endpoint, by id (`ns/name[Kind]`, `first-last[External]`).
    Node { id: String },
    /// The connection (or its absence) from one endpoint to another.
    Edge { from: String, to: String },
    /// A policy, by `ns/name`.
    Policy { id: String },
}

/// The probe's inputs, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Probe {
    pub from: String,
    pub to: String,
    pub port: String,
    pub protocol: String,
}

impl Probe {
    pub fn is_empty(&self) -> bool {
        *self == Probe::default()
    }
}

/// What the side panel shows for the selection.
#[derive(Clone, Debug, PartialEq)]
pub enum Details {
    Node {
        endpoint: usize,
        /// The workload's representative pod (none for address ranges).
        pod: Option<PodDescription>,
        /// Allowed peers: `(endpoint, ports)`.
        incoming: Vec<(usize, String)>,
        outgoing: Vec<(usize, String)>,
    },
    Edge {
        from: usize,
        to: usize,
        forward: Box<Result<PairExplanation, String>>,
        backward: Box<Result<PairExplanation, String>>,
    },
    Policy(PolicyDescription),
    /// The selection no longer exists after an edit.
    Gone(String),
}

/// Lines to show in the editor: they are highlighted, and the editor scrolls to the first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reveal {
    /// Per file index, inclusive 1-based line ranges.
    pub lines: HashMap<usize, Vec<(usize, usize)>>,
    /// The file and line to scroll to, and the column to put the caret at.
    pub focus: Option<(usize, usize, usize)>,
    /// Changes on every reveal, so that revealing the same place twice scrolls again.
    pub serial: u32,
}

/// The pinned configuration and what changed since.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub analysis: Rc<Analysis>,
    pub diff: Diff,
    /// Per pair of endpoint ids, how it changed.
    pub marks: HashMap<(String, String), ChangeKind>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LintState {
    /// Too big to lint on every edit: waiting for a request.
    Pending,
    Done(Rc<Vec<Problem>>),
}

/// Everything a person can do; [`Model::apply`] does it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// New text for a file, analysed at once.
    Edit(usize, String),
    /// New text for a file, analysed later (on [`Action::Analyse`] or the next other action): typing
    /// stays fluid on inputs whose analysis takes longer than a frame.
    Type(usize, String),
    Analyse,
    SelectFile(usize),
    NewFile,
    CloseFile(usize),
    RenameFile(usize, String),
    /// Files dropped or chosen: `(name, text)`.
    AddFiles(Vec<(String, String)>),
    LoadExample(String),
    SetRelease(Release),
    SetView(View),
    SetFilters(Filters),
    Select(Option<Selection>),
    Reveal(Location),
    PinBaseline,
    ClearBaseline,
    RunLint,
    SetProbe(Probe),
    /// A URL fragment to open (a share link pasted into the address bar).
    OpenFragment(String),
    Notice(Option<String>),
}

/// Everything the playground shows.
pub struct Model {
    pub files: Vec<File>,
    pub active: usize,
    pub release: Release,
    workspace: Workspace,
    pub analysis: Rc<Analysis>,
    pub policies: Rc<Vec<PolicyDescription>>,
    /// `None`: chosen by the size of the cluster ([`Model::view`]).
    pub view: Option<View>,
    pub filters: Filters,
    pub selection: Option<Selection>,
    pub details: Option<Rc<Details>>,
    pub probe: Probe,
    pub probe_result: Option<Result<Explanation, String>>,
    pub baseline: Option<Rc<Baseline>>,
    pub lint: LintState,
    pub reveal: Reveal,
    /// The loaded example's id, until the files are edited.
    pub example: Option<String>,
    /// A message about the last action (a damaged link, a file that could not be read).
    pub notice: Option<String>,
    /// Diagram only, read-only (`#embed`).
    pub embed: bool,
    /// Endpoint ids in the order they first appeared: the graph keeps them in place as you type.
    order: Vec<String>,
    /// Files whose text the workspace has not analysed yet ([`Action::Type`]).
    unanalysed: BTreeSet<usize>,
    /// Counts analyses, for views and tests that wait for the next one.
    pub generation: u32,
    /// Counts actions: the URL fragment is rewritten when it changes.
    pub revision: u32,
}

impl Model {
    /// The playground on the default example.
    pub fn new() -> Model {
        let mut model = Model::empty();
        model.load_example(examples::DEFAULT);
        model
    }

    fn empty() -> Model {
        let workspace = Workspace::new(&Options::default());
        let analysis = Rc::new(Analysis::new(workspace.cluster()));
        Model {
            files: Vec::new(),
            active: 0,
            release: Release::default(),
            workspace,
            analysis,
            policies: Rc::default(),
            view: None,
            filters: Filters::default(),
            selection: None,
            details: None,
            probe: Probe::default(),
            probe_result: None,
            baseline: None,
            lint: LintState::Pending,
            reveal: Reveal::default(),
            example: None,
            notice: None,
            embed: false,
            order: Vec::new(),
            unanalysed: BTreeSet::new(),
            generation: 0,
            revision: 0,
        }
    }

    /// The playground a URL fragment describes (the default example for an empty or damaged one).
    pub fn from_fragment(fragment: &str) -> Model {
        let mut model = Model::empty();
        match share::decode(fragment) {
            Ok(link) => model.open_link(link),
            Err(error) => {
                model.load_example(examples::DEFAULT);
                model.notice = Some(error);
            }
        }
        model
    }

    pub fn apply(&mut self, action: Action) {
        self.revision = self.revision.wrapping_add(1);
        if !matches!(action, Action::Type(..)) {
            self.analyse();
        }
        match action {
            Action::Edit(file, text) => self.edit(file, text),
            Action::Type(file, text) => self.type_text(file, text),
            Action::Analyse => {}
            Action::SelectFile(file) => self.select_file(file),
            Action::NewFile => self.new_file(),
            Action::CloseFile(file) => self.remove_file(file),
            Action::RenameFile(file, name) => self.rename_file(file, &name),
            Action::AddFiles(files) => {
                for (name, text) in files {
                    self.add_file(&name, text);
                }
            }
            Action::LoadExample(id) => self.load_example(&id),
            Action::SetRelease(release) => self.set_release(release),
            Action::SetView(view) => self.set_view(view),
            Action::SetFilters(filters) => self.set_filters(filters),
            Action::Select(selection) => self.select(selection),
            Action::Reveal(location) => self.reveal_location(&location),
            Action::PinBaseline => self.pin_baseline(),
            Action::ClearBaseline => self.clear_baseline(),
            Action::RunLint => self.run_lint(),
            Action::SetProbe(probe) => self.set_probe(probe),
            Action::OpenFragment(fragment) => match share::decode(&fragment) {
                Ok(link) => self.open_link(link),
                Err(error) => self.notice = Some(error),
            },
            Action::Notice(notice) => self.notice = notice,
        }
    }

    /// Replaces the state with what a link carries.
    pub fn open_link(&mut self, link: Link) {
        self.embed = link.embed;
        match (link.state, link.example) {
            (Some(state), _) => self.restore(state),
            (None, Some(example)) if examples::load(&example).is_some() => self.load_example(&example),
            (None, Some(example)) => {
                self.load_example(examples::DEFAULT);
                self.notice = Some(format!("there is no example `{example}`; showing `{}`", examples::DEFAULT));
            }
            (None, None) => self.load_example(examples::DEFAULT),
        }
    }

    /// Replaces the files (and resets the view).
    pub fn open(&mut self, files: Vec<File>) {
        self.restore(Shared { files, ..Shared::default() });
    }

    fn restore(&mut self, state: Shared) {
        self.notice = None;
        self.release = match state.version.as_deref().map(str::parse::<Release>) {
            Some(Ok(release)) => release,
            Some(Err(error)) => {
                self.notice = Some(error);
                Release::default()
            }
            None => Release::default(),
        };
        self.files = state.files;
        self.active = state.active.min(self.files.len().saturating_sub(1));
        self.view = state.view;
        self.filters = state.filters;
        self.selection = state.selection;
        self.probe = state.probe;
        self.example = None;
        self.baseline = None;
        self.rebuild();
        if !self.probe.is_empty() {
            self.run_probe();
        }
    }

    /// The state a share link carries.
    pub fn shared(&self) -> Shared {
        Shared {
            files: self.files.clone(),
            active: self.active,
            version: (self.release != Release::default()).then(|| self.release.to_string()),
            view: self.view,
            filters: self.filters.clone(),
            selection: self.selection.clone(),
            probe: self.probe.clone(),
        }
    }

    pub fn fragment(&self) -> String {
        share::encode(&self.shared(), self.embed)
    }

    pub fn cluster(&self) -> &Cluster {
        self.workspace.cluster()
    }

    /// The view shown: the chosen one, or by size.
    pub fn view(&self) -> View {
        self.view.unwrap_or(if self.analysis.endpoints.len() > GRAPH_LIMIT { View::Matrix } else { View::Graph })
    }

    pub fn load_example(&mut self, id: &str) {
        let Some(example) = examples::load(id) else {
            self.notice = Some(format!("there is no example `{id}`"));
            return;
        };
        let release = example.kubernetes_version.as_deref().and_then(|v| v.parse().ok()).unwrap_or_default();
        self.restore(Shared {
            files: example.files.into_iter().map(|(name, text)| File { name, text }).collect(),
            version: Some(release).filter(|r| *r != Release::default()).map(|r: Release| r.to_string()),
            ..Shared::default()
        });
        self.example = Some(id.to_string());
    }

    /// Every release the engine knows, newest first.
    pub fn releases() -> Vec<Release> {
        (OLDEST.minor..=NEWEST.minor).rev().map(Release::new).collect()
    }

    pub fn set_release(&mut self, release: Release) {
        if release != self.release {
            self.release = release;
            self.rebuild();
        }
    }

    /// Replaces the text of a file: the workspace re-parses only what changed.
    pub fn edit(&mut self, file: usize, text: String) {
        let Some(entry) = self.files.get_mut(file) else { return };
        if entry.text == text {
            return;
        }
        self.workspace.set_file(&entry.name, &text);
        entry.text = text;
        self.example = None;
        self.refresh();
    }

    /// Replaces the text of a file without analysing it yet (see [`Action::Type`]).
    pub fn type_text(&mut self, file: usize, text: String) {
        let Some(entry) = self.files.get_mut(file) else { return };
        if entry.text != text {
            entry.text = text;
            self.example = None;
            self.unanalysed.insert(file);
        }
    }

    /// Analyses the files typed into since the last analysis.
    pub fn analyse(&mut self) {
        if self.unanalysed.is_empty() {
            return;
        }
        for file in std::mem::take(&mut self.unanalysed) {
            if let Some(entry) = self.files.get(file) {
                self.workspace.set_file(&entry.name, &entry.text);
            }
        }
        self.refresh();
    }

    /// Adds a file, or replaces the one of that name; it becomes the active one.
    pub fn add_file(&mut self, name: &str, text: String) {
        match self.files.iter().position(|f| f.name == name) {
            Some(index) => {
                self.active = index;
                self.edit(index, text);
            }
            None => {
                self.workspace.set_file(name, &text);
                self.files.push(File { name: name.to_string(), text });
                self.active = self.files.len() - 1;
                self.example = None;
                self.refresh();
            }
        }
    }

    /// A new empty file with an unused name.
    pub fn new_file(&mut self) {
        let name = (1..).map(|i| format!("untitled-{i}.yaml")).find(|n| !self.files.iter().any(|f| &f.name == n));
        if let Some(name) = name {
            self.add_file(&name, String::new());
        }
    }

    pub fn remove_file(&mut self, file: usize) {
        if file >= self.files.len() {
            return;
        }
        let removed = self.files.remove(file);
        self.workspace.remove_file(&removed.name);
        self.active = self.active.min(self.files.len().saturating_sub(1));
        self.example = None;
        self.reveal = Reveal::default();
        self.refresh();
    }

    /// Renames a file; refused (with a notice) when the name is empty or taken.
    pub fn rename_file(&mut self, file: usize, name: &str) {
        let name = name.trim();
        if name.is_empty() || self.files.iter().enumerate().any(|(i, f)| i != file && f.name == name) {
            self.notice = Some(format!("cannot rename to `{name}`: the name is empty or taken"));
            return;
        }
        let Some(entry) = self.files.get_mut(file) else { return };
        if entry.name != name {
            entry.name = name.to_string();
            self.rebuild();
        }
    }

    pub fn select_file(&mut self, file: usize) {
        if file < self.files.len() {
            self.active = file;
        }
    }

    pub fn set_view(&mut self, view: View) {
        self.view = Some(view);
    }

    pub fn set_filters(&mut self, filters: Filters) {
        self.filters = filters;
        self.update_details();
    }

    pub fn select(&mut self, selection: Option<Selection>) {
        if selection.is_none() {
            // Nothing explained any more: no lines to point at.
            self.reveal.lines.clear();
        }
        self.selection = selection;
        self.update_details();
        if let Some(Details::Edge { forward, .. }) = self.details.as_deref()
            && let Ok(pair) = &**forward
        {
            let lines = explanation_lines(&pair.explanation);
            self.reveal_locations(&lines);
        }
    }

    /// Shows a place of the sources in the editor.
    pub fn reveal_location(&mut self, location: &Location) {
        self.reveal_locations(std::slice::from_ref(location));
    }

    /// Highlights the lines of `locations` and scrolls to the first.
    pub fn reveal_locations(&mut self, locations: &[Location]) {
        let serial = self.reveal.serial.wrapping_add(1);
        self.reveal = Reveal { serial, ..Reveal::default() };
        for location in locations {
            let Some(file) = self.files.iter().position(|f| f.name == location.file) else { continue };
            self.reveal.lines.entry(file).or_default().push((location.line, location.end_line.max(location.line)));
            if self.reveal.focus.is_none() {
                self.reveal.focus = Some((file, location.line, location.column));
                self.active = file;
            }
        }
    }

    pub fn pin_baseline(&mut self) {
        self.baseline = Some(Rc::new(baseline(Rc::clone(&self.analysis), &self.analysis)));
    }

    pub fn clear_baseline(&mut self) {
        self.baseline = None;
    }

    pub fn run_lint(&mut self) {
        self.lint = LintState::Done(Rc::new(lint_problems(self.cluster())));
    }

    pub fn set_probe(&mut self, probe: Probe) {
        self.probe = probe;
        self.run_probe();
    }

    /// Evaluates the probe's flow.
    pub fn run_probe(&mut self) {
        let probe = &self.probe;
        if probe.from.trim().is_empty() || probe.to.trim().is_empty() || probe.port.trim().is_empty() {
            self.probe_result = None;
            return;
        }
        let cluster = self.cluster();
        let result = (|| {
            let from = cluster.resolve_endpoint(probe.from.trim())?;
            let to = cluster.resolve_endpoint(probe.to.trim())?;
            let port: PortRef = probe.port.trim().parse()?;
            let protocol = if probe.protocol.is_empty() { Protocol::Tcp } else { probe.protocol.parse()? };
            let verdict = evaluate(cluster, &Flow { from, to, port, protocol }).map_err(|e| e.to_string())?;
            Ok(verdict.explain(cluster))
        })();
        if let Ok(explanation) = &result {
            let lines = explanation_lines(explanation);
            self.reveal_locations(&lines);
        }
        self.probe_result = Some(result);
    }

    /// After the files or the release changed wholesale: a new workspace.
    fn rebuild(&mut self) {
        let mut workspace = Workspace::new(&Options::at(self.release));
        for file in &self.files {
            workspace.set_file(&file.name, &file.text);
        }
        self.workspace = workspace;
        self.reveal = Reveal::default();
        self.refresh();
    }

    /// Re-derives everything from the workspace's cluster.
    fn refresh(&mut self) {
        let cluster = self.workspace.cluster();
        let analysis = Rc::new(Analysis::new(cluster));
        self.policies = Rc::new((0..cluster.policies.len()).map(|p| describe_policy(cluster, p)).collect());
        self.lint = if cluster.pods.len() * cluster.policies.len().max(1) <= AUTO_LINT_LIMIT {
            LintState::Done(Rc::new(lint_problems(cluster)))
        } else {
            LintState::Pending
        };
        let present: HashSet<&str> = analysis.endpoints.iter().map(|e| e.id.as_str()).collect();
        self.order.retain(|id| present.contains(id.as_str()));
        let known: HashSet<String> = self.order.iter().cloned().collect();
        self.order.extend(analysis.endpoints.iter().filter(|e| !known.contains(&e.id)).map(|e| e.id.clone()));
        if let Some(pinned) = &self.baseline {
            self.baseline = Some(Rc::new(baseline(Rc::clone(&pinned.analysis), &analysis)));
        }
        self.analysis = analysis;
        self.generation = self.generation.wrapping_add(1);
        if !self.probe.is_empty() {
            self.run_probe_quietly();
        }
        self.update_details();
        self.relight();
    }

    /// [`Self::run_probe`] without moving the editor (after an edit, the caret stays where it is).
    fn run_probe_quietly(&mut self) {
        let reveal = self.reveal.clone();
        self.run_probe();
        self.reveal = reveal;
    }

    /// After an edit: the highlighted lines follow the selected connection's new explanation (or go
    /// away with it), without scrolling the editor.
    fn relight(&mut self) {
        let locations = match self.details.as_deref() {
            Some(Details::Edge { forward, .. }) => match &**forward {
                Ok(pair) => explanation_lines(&pair.explanation),
                Err(_) => Vec::new(),
            },
            _ => match (&self.selection, &self.probe_result) {
                (None, Some(Ok(explanation))) if self.view() == View::Probe => explanation_lines(explanation),
                _ => return,
            },
        };
        let (serial, focus, active) = (self.reveal.serial, self.reveal.focus, self.active);
        self.reveal_locations(&locations);
        (self.reveal.serial, self.reveal.focus, self.active) = (serial, focus, active);
    }

    /// Endpoints in the order they first appeared (see [`Self::order`]).
    pub fn stable_order(&self) -> Vec<usize> {
        let mut indexes: Vec<usize> = self.order.iter().filter_map(|id| self.analysis.endpoint(id)).collect();
        let listed: HashSet<usize> = indexes.iter().copied().collect();
        indexes.extend((0..self.analysis.endpoints.len()).filter(|i| !listed.contains(i)));
        indexes
    }

    fn update_details(&mut self) {
        let analysis = &self.analysis;
        let cluster = self.workspace.cluster();
        let filter = self.filters.ports();
        let details = match &self.selection {
            None => None,
            Some(Selection::Node { id }) => Some(match analysis.endpoint(id) {
                Some(endpoint) => {
                    let peers = |outgoing: bool| -> Vec<(usize, String)> {
                        analysis
                            .links
                            .iter()
                            .filter(|l| if outgoing { l.from == endpoint } else { l.to == endpoint })
                            .map(|l| (if outgoing { l.to } else { l.from }, analysis.text(l)))
                            .collect()
                    };
                    Details::Node {
                        endpoint,
                        pod: analysis.endpoints[endpoint].pod.map(|pod| describe_pod(cluster, pod)),
                        incoming: peers(false),
                        outgoing: peers(true),
                    }
                }
                None => Details::Gone(format!("`{id}` is no longer in the input")),
            }),
            Some(Selection::Edge { from, to }) => Some(match (analysis.endpoint(from), analysis.endpoint(to)) {
                (Some(from), Some(to)) => Details::Edge {
                    from,
                    to,
                    forward: Box::new(explain_pair(cluster, analysis, from, to, &filter)),
                    backward: Box::new(explain_pair(cluster, analysis, to, from, &filter)),
                },
                _ => Details::Gone(format!("`{from}` → `{to}` is no longer in the input")),
            }),
            Some(Selection::Policy { id }) => Some(match self.policies.iter().find(|p| &p.policy == id) {
                Some(policy) => Details::Policy(policy.clone()),
                None => Details::Gone(format!("policy `{id}` is no longer in the input")),
            }),
        };
        self.details = details.map(Rc::new);
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}

fn baseline(pinned: Rc<Analysis>, current: &Analysis) -> Baseline {
    let diff = diff(&pinned.reach, &current.reach);
    let marks = diff.changes.iter().map(|c| ((c.from.clone(), c.to.clone()), c.kind)).collect();
    Baseline { analysis: pinned, diff, marks }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
";
    const POLICY: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
";

    fn shop() -> Model {
        let mut model = Model::new();
        model.open(vec![File { name: "pods.yaml".into(), text: PODS.into() }]);
        model
    }

    #[test]
    fn starts_on_the_default_example() {
        let model = Model::new();
        assert_eq!(model.example.as_deref(), Some(examples::DEFAULT));
        assert!(model.analysis.pods > 10 && !model.analysis.links.is_empty());
        assert_eq!(model.view(), View::Graph);
        assert!(matches!(&model.lint, LintState::Done(_)));
    }

    #[test]
    fn edits_re_analyse_and_the_baseline_diff_follows() {
        let mut model = shop();
        let generation = model.generation;
        model.pin_baseline();
        model.add_file("policy.yaml", POLICY.into());
        assert!(model.generation != generation);
        assert_eq!(model.active, 1);
        let marks = &model.baseline.as_ref().map(|b| b.marks.clone()).unwrap_or_default();
        assert_eq!(marks.get(&("shop/web[Pod]".to_string(), "shop/db[Pod]".to_string())), Some(&ChangeKind::Changed));
        assert_eq!(marks.get(&("shop/db[Pod]".to_string(), "shop/web[Pod]".to_string())), None);
        model.edit(1, POLICY.replace("5432", "5433"));
        let diff = &model.baseline.as_ref().map(|b| b.diff.clone()).unwrap_or_default();
        assert_eq!(diff.changes.iter().filter(|c| c.after == "TCP 5433").count(), 1);
        model.remove_file(1);
        assert!(model.baseline.as_ref().is_some_and(|b| b.diff.is_empty()));
    }

    #[test]
    fn typed_text_waits_for_the_analysis() {
        let mut model = shop();
        let generation = model.generation;
        model.apply(Action::Type(0, format!("{PODS}---\n{POLICY}")));
        assert!(!model.unanalysed.is_empty() && model.generation == generation && model.analysis.policies == 0);
        model.apply(Action::Analyse);
        assert!(model.unanalysed.is_empty() && model.analysis.policies == 1);
        model.apply(Action::Type(0, PODS.into()));
        model.apply(Action::SetView(View::Matrix));
        assert!(model.unanalysed.is_empty() && model.analysis.policies == 0, "any other action analyses first");
    }

    #[test]
    fn selecting_an_edge_explains_it_and_reveals_its_lines() {
        let mut model = shop();
        model.add_file("policy.yaml", POLICY.into());
        model.select_file(0);
        model.select(Some(Selection::Edge { from: "shop/web[Pod]".into(), to: "shop/db[Pod]".into() }));
        let Some(Details::Edge { forward, backward, .. }) = model.details.as_deref() else {
            panic!("{:?}", model.details)
        };
        let (Ok(pair), Ok(back)) = (&**forward, &**backward) else { panic!("{forward:?} {backward:?}") };
        assert!(pair.explanation.allowed && pair.explanation.port == 5432);
        assert!(back.explanation.allowed, "db -> web: nothing isolates it");
        assert_eq!(model.active, 1, "the policy's file opens");
        assert_eq!(model.reveal.lines.get(&1), Some(&vec![(7, 8), (7, 7), (8, 8)]));
        model.edit(1, String::new());
        assert!(matches!(model.details.as_deref(), Some(Details::Edge { .. })), "still there, now open");
        model.remove_file(0);
        assert!(matches!(model.details.as_deref(), Some(Details::Gone(_))));
    }

    #[test]
    fn share_links_round_trip_the_state() {
        let mut model = shop();
        model.add_file("policy.yaml", POLICY.into());
        model.set_view(View::Matrix);
        model.set_release(Release::new(21));
        model.set_filters(Filters { port: Some(5432), labels: "app=db".into(), ..Filters::default() });
        model.select(Some(Selection::Node { id: "shop/db[Pod]".into() }));
        model.set_probe(Probe {
            from: "shop/web".into(),
            to: "shop/db".into(),
            port: "5432".into(),
            protocol: String::new(),
        });
        assert!(matches!(&model.probe_result, Some(Ok(e)) if e.allowed));
        let copy = Model::from_fragment(&format!("#{}", model.fragment()));
        assert_eq!(copy.shared(), model.shared());
        assert_eq!(copy.release, Release::new(21));
        assert!(matches!(copy.details.as_deref(), Some(Details::Node { .. })));
        assert!(matches!(&copy.probe_result, Some(Ok(e)) if e.allowed));
        let damaged = Model::from_fragment("#s=AAAA");
        assert!(damaged.notice.is_some() && damaged.example.as_deref() == Some(examples::DEFAULT));
    }

    #[test]
    fn order_is_first_seen() {
        let mut model = shop();
        let before: Vec<String> =
            model.stable_order().iter().map(|&i| model.analysis.endpoints[i].id.clone()).collect();
        model.add_file("more.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: aaa, namespace: shop}\n".into());
        let after: Vec<String> = model.stable_order().iter().map(|&i| model.analysis.endpoints[i].id.clone()).collect();
        assert_eq!(after[..before.len()], before[..], "the new pod comes last, although it sorts first");
        assert_eq!(after.last().map(String::as_str), Some("shop/aaa[Pod]"));
    }

    #[test]
    fn selectors() {
        let selector = parse_selector("app=web, tier!=db,env,!legacy,zone in (a, b)").unwrap_or_default();
        assert_eq!(
            selector.map(|s| s.describe()).as_deref(),
            Some("app=web,tier notin (db),env,!legacy,zone in (a,b)")
        );
        assert_eq!(parse_selector("  "), Ok(None));
        assert!(parse_selector("a b").is_err() && parse_selector("x in a").is_err());
    }
}
