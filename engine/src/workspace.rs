//! Incremental analysis: a set of named files that can be edited one at a time, as the playground
//! does on every keystroke and the node agent on every watch event.
//!
//! Parsing dominates the cost of an analysis, so a workspace keeps every file's `---` chunks parsed
//! and, when a file changes, parses only the chunks whose text changed: the others are reused and
//! their spans moved to where they now are. Assembling the cluster and compiling it into classes are
//! linear and cheap, and are redone. The result is always equal to a full [`Cluster::from_sources_with`]
//! of the same files (a differential test checks it over random edit sequences).

use std::collections::HashMap;

use crate::cluster::Cluster;
use crate::diagnostic::Diagnostic;
use crate::model::versions::{Features, Options};
use crate::parse::{self, ParsedChunk};
use crate::source::{FileId, Sources};

#[derive(Clone, Debug, Default)]
struct File {
    name: String,
    text: String,
    chunks: Vec<ParsedChunk>,
}

#[derive(Clone, Debug)]
pub struct Workspace {
    features: Features,
    /// Diagnostics of resolving the options (unknown release, gates).
    option_diagnostics: Vec<Diagnostic>,
    files: Vec<File>,
    cluster: Cluster,
}

impl Workspace {
    pub fn new(options: &Options) -> Self {
        let (features, option_diagnostics) = options.resolve();
        let mut workspace = Workspace { features, option_diagnostics, files: Vec::new(), cluster: Cluster::default() };
        workspace.assemble();
        workspace
    }

    /// The analysis of the current files.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Adds a file, or replaces the text of the file of that name.
    pub fn set_file(&mut self, name: &str, text: &str) {
        let index = self.files.iter().position(|f| f.name == name).unwrap_or_else(|| {
            self.files.push(File { name: name.to_string(), text: String::new(), chunks: Vec::new() });
            self.files.len() - 1
        });
        let id = file_id(index);
        let mut sources = Sources::default();
        sources.add(name, text);
        let Some(source) = sources.get(FileId(0)) else { return };
        let old = std::mem::take(&mut self.files[index]);
        // Old chunks by text; each can be reused once.
        let mut unused: HashMap<&str, Vec<ParsedChunk>> = HashMap::new();
        for chunk in old.chunks.into_iter().rev() {
            let text = old.text.get(chunk.start..chunk.start + chunk.len).unwrap_or_default();
            unused.entry(text).or_default().push(chunk);
        }
        let chunks =
            parse::parse_chunks(id, source, &self.features, |chunk_text| unused.get_mut(chunk_text).and_then(Vec::pop));
        self.files[index] = File { name: name.to_string(), text: text.to_string(), chunks };
        self.assemble();
    }

    /// Removes a file; returns whether it was there.
    pub fn remove_file(&mut self, name: &str) -> bool {
        let Some(index) = self.files.iter().position(|f| f.name == name) else { return false };
        self.files.remove(index);
        // The files after it move up by one id.
        for (i, file) in self.files.iter_mut().enumerate().skip(index) {
            for chunk in &mut file.chunks {
                chunk.relocate(file_id(i), 0);
            }
        }
        self.assemble();
        true
    }

    fn assemble(&mut self) {
        let mut sources = Sources::default();
        let mut objects = Vec::new();
        let mut diagnostics = self.option_diagnostics.clone();
        for file in &self.files {
            sources.add(file.name.clone(), file.text.clone());
            for chunk in &file.chunks {
                objects.extend(chunk.objects.iter().cloned());
                diagnostics.extend(chunk.diagnostics.iter().cloned());
            }
        }
        self.cluster = Cluster::from_objects(sources, self.features, objects, diagnostics);
    }
}

fn file_id(index: usize) -> FileId {
    FileId(u32::try_from(index).unwrap_or(u32::MAX))
}
