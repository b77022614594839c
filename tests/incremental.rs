//! The incremental workspace equals a full analysis after every edit of random edit sequences:
//! documents changed (labels, ports), broken, removed, added and moved between files, files removed.

use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::Options;
use moat_engine::query::{PortQuery, matrix};
use moat_engine::synth::{Rng, Shape, cluster_yaml};
use moat_engine::workspace::Workspace;
use moat_engine::{Cluster, Sources};

const SEQUENCES: u64 = 25;
const EDITS: usize = 30;
const FILES: usize = 4;

/// Files as lists of documents, the way edits see them.
fn render(files: &[Vec<String>]) -> Vec<String> {
    files.iter().map(|docs| docs.iter().map(|d| format!("---\n{d}\n")).collect()).collect()
}

fn edit(rng: &mut Rng, files: &mut [Vec<String>]) -> Vec<usize> {
    let f = rng.below(files.len());
    if files[f].is_empty() {
        files[f].push("apiVersion: v1\nkind: Namespace\nmetadata: {name: late, labels: {team: red}}".into());
        return vec![f];
    }
    let d = rng.below(files[f].len());
    match rng.below(6) {
        0 => {
            // a label change
            let doc = &mut files[f][d];
            for (from, to) in [
                ("app: web", "app: api"),
                ("app: api", "app: db"),
                ("team: red", "team: blue"),
                ("tier: backend", "tier: data"),
            ] {
                if doc.contains(from) {
                    *doc = doc.replacen(from, to, 1);
                    break;
                }
            }
        }
        1 => {
            // a policy or port change
            let doc = &mut files[f][d];
            *doc = doc.replacen("port: 80", "port: 81", 1).replacen("containerPort: 8080", "containerPort: 80", 1);
        }
        2 => {
            files[f].remove(d);
        }
        3 => {
            let copy = files[f][d].replacen("name: ", "name: copy", 1);
            let g = rng.below(files.len());
            files[g].push(copy);
            return vec![f, g];
        }
        4 => {
            let doc = files[f].remove(d);
            let g = rng.below(files.len());
            files[g].insert(0, doc);
            return vec![f, g];
        }
        _ => {
            // a syntax error, reported at the right line of the right file
            files[f][d].push_str("\nbroken: [unclosed");
        }
    }
    vec![f]
}

fn assert_same(workspace: &Cluster, full: &Cluster, context: &str) {
    assert_eq!(workspace.pods, full.pods, "{context}: pods");
    assert_eq!(workspace.policies, full.policies, "{context}: policies");
    assert_eq!(workspace.namespaces, full.namespaces, "{context}: namespaces");
    assert_eq!(workspace.diagnostics, full.diagnostics, "{context}: diagnostics");
    assert_eq!(
        matrix(workspace, PortQuery::One(80, Protocol::Tcp)),
        matrix(full, PortQuery::One(80, Protocol::Tcp)),
        "{context}: matrix"
    );
}

#[test]
fn workspace_equals_full_analysis_after_every_edit() {
    let options = Options::default();
    let mut edits = 0;
    for seed in 0..SEQUENCES {
        let text = cluster_yaml(Shape { namespaces: 3, pods: 24, policies: 10 }, seed);
        let mut rng = Rng::new(seed);
        let mut files: Vec<Vec<String>> = vec![Vec::new(); FILES];
        for doc in text.split("---\n").map(str::trim).filter(|d| !d.is_empty()) {
            files[rng.below(FILES)].push(doc.to_string());
        }
        let mut workspace = Workspace::new(&options);
        for (i, text) in render(&files).iter().enumerate() {
            workspace.set_file(&format!("f{i}.yaml"), text);
        }
        for step in 0..EDITS {
            let changed = edit(&mut rng, &mut files);
            let texts = render(&files);
            for f in changed {
                workspace.set_file(&format!("f{f}.yaml"), &texts[f]);
            }
            let mut sources = Sources::default();
            texts.iter().enumerate().for_each(|(i, t)| {
                sources.add(format!("f{i}.yaml"), t.clone());
            });
            assert_same(
                workspace.cluster(),
                &Cluster::from_sources_with(sources, &options),
                &format!("seed {seed} step {step}"),
            );
            edits += 1;
        }
        // Removing a file renumbers the files after it.
        workspace.remove_file("f1.yaml");
        let mut sources = Sources::default();
        for (i, t) in render(&files).iter().enumerate().filter(|(i, _)| *i != 1) {
            sources.add(format!("f{i}.yaml"), t.clone());
        }
        assert_same(
            workspace.cluster(),
            &Cluster::from_sources_with(sources, &options),
            &format!("seed {seed} removal"),
        );
    }
    eprintln!("{edits} edits, each compared with a full analysis");
}
