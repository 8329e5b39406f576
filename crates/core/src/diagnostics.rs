//! Diagnostics: what validation (and loading) reports about a topology file.
//!
//! Every diagnostic carries a stable code, the YAML path it is about and, when the path
//! exists in the file, the line and column. The JSON form of [`Diagnostic`] is a documented
//! contract (docs/topology.md); add fields, never rename them.

use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is. Warnings fail only under `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A position in the topology text. Lines and columns are 1-based; `offset`/`len` are
/// byte offsets into the source, for snippet rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

/// A second place that explains a diagnostic (e.g. the other subnet of an overlap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// Set when the place is in another file than the diagnostic itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub path: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub message: String,
}

/// One problem found in a topology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    /// YAML path, e.g. `spec.clusters[1].serviceSubnet`. Empty for whole-file problems.
    pub path: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, path, message)
    }

    pub fn warning(
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Warning, path, message)
    }

    fn new(
        code: &'static str,
        severity: Severity,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            path: path.into(),
            location: None,
            message: message.into(),
            hint: None,
            related: Vec::new(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_location(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Adds a second place to look at; its location is filled in by the validator.
    pub fn with_related(mut self, path: impl Into<String>, message: impl Into<String>) -> Self {
        self.related.push(Related {
            file: None,
            path: path.into(),
            location: None,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.severity, self.code)?;
        if let Some(loc) = self.location {
            write!(f, " {}:{}", loc.line, loc.column)?;
        }
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}
